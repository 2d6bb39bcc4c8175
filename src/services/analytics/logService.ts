import { searchLogs } from '../../db/queries/logSearch.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { ReadRouter } from '../../db/readReplica.js';
import { AppError } from '../../utils/AppError.js';
import { feedbackOnRequest } from '../feedback/llmFeedbackService.js';
import type { AccessClaims } from '../../utils/jwt.js';
import type { LogSearchQuery } from '../../validators/logValidators.js';
import { messagesFromPrompt } from '../ingest/messagesInPrompt.js';
import { accessibleProjectIds, getAccessibleProject } from '../projects/projectService.js';

/**
 * Searches one project's requests; 404 when the caller may not see the project. The access
 * check reads the primary; the search itself the read replica when `reads` has a usable one.
 */
export async function listLogs(prisma: PrismaClient, caller: AccessClaims, q: LogSearchQuery, reads?: ReadRouter) {
  await getAccessibleProject(prisma, q.projectId, caller);
  return reads ? reads.read((db) => searchLogs(db, q)) : searchLogs(prisma, q);
}

/** One request with its full prompt and response and the feedback on it; 404 for requests of projects the caller cannot see. */
export async function getLog(prisma: PrismaClient, caller: AccessClaims, id: string) {
  const row = await prisma.llmRequest.findFirst({
    where: { id, projectId: await accessibleProjectIds(prisma, caller) },
  });
  if (!row) throw AppError.notFound('Request');
  await getAccessibleProject(prisma, row.projectId, caller).catch(() => {
    throw AppError.notFound('Request');
  });
  return {
    ...row,
    // a large chat call's messages are stored as places in its prompt: given their text back
    messages: messagesFromPrompt(row.messages, row.prompt) as typeof row.messages,
    feedback: await feedbackOnRequest(prisma, row.projectId, row.id),
  };
}
