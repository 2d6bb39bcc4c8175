/**
 * The setup guide's steps, in order, and what each step's "next" says: pure, from the times the
 * steps were done (derived from real data by the onboarding service) and the user's first project.
 * Examples carry the project id and the key's prefix, never a secret.
 */
export const ONBOARDING_STEPS = [
  'create_project',
  'create_api_key',
  'first_request',
  'review_threshold',
  'alert_webhook',
  'first_incident',
  'choose_plan',
] as const;
import { DEFAULT_SAFETY_THRESHOLD } from '../config/modelConfig.js';

export type OnboardingStepId = (typeof ONBOARDING_STEPS)[number];

export interface ExampleContext {
  /** e.g. https://llmguard.example.com (no trailing slash) */
  baseUrl: string;
  projectId: string | null;
  keyPrefix: string | null;
}

export interface StepNext {
  description: string;
  method?: string;
  path?: string;
  examples?: { curl: string; openai: string };
}

const TITLES: Record<OnboardingStepId, string> = {
  create_project: 'Create a project',
  create_api_key: 'Create an API key',
  first_request: 'Send a first guarded call',
  review_threshold: 'Review the safety threshold',
  alert_webhook: 'Configure and test an alert webhook',
  first_incident: 'Look at an incident',
  choose_plan: 'Choose a plan',
};

const keyHint = (c: ExampleContext) => (c.keyPrefix ? `${c.keyPrefix}...` : 'lgk_...');
const project = (c: ExampleContext) => c.projectId ?? '<projectId>';

function callExamples(c: ExampleContext): { curl: string; openai: string } {
  return {
    curl: [
      `# LLMGUARD_API_KEY is your key (it starts with ${keyHint(c)}; the secret is shown only when created)`,
      `curl -X POST ${c.baseUrl}/api/v1/llm/request \\`,
      `  -H "X-API-Key: $LLMGUARD_API_KEY" -H "Content-Type: application/json" \\`,
      `  -d '{"model":"gpt-4o","prompt":"Hello","response":"Hi!","latencyMs":420,"endpoint":"chat"}'`,
    ].join('\n'),
    openai: [
      `import OpenAI from 'openai';`,
      `// Calls go through the LLMGuard gateway of project ${project(c)}; the key starts with ${keyHint(c)}`,
      `const client = new OpenAI({ baseURL: '${c.baseUrl}/v1', apiKey: process.env.LLMGUARD_API_KEY });`,
      `const answer = await client.chat.completions.create({`,
      `  model: 'gpt-4o',`,
      `  messages: [{ role: 'user', content: 'Hello' }],`,
      `});`,
    ].join('\n'),
  };
}

function nextFor(id: OnboardingStepId, c: ExampleContext): StepNext {
  const auth = `-H "Authorization: Bearer $ACCESS_TOKEN" -H "Content-Type: application/json"`;
  switch (id) {
    case 'create_project':
      return {
        description: 'Create a project: it comes with a first API key.',
        method: 'POST',
        path: '/api/v1/projects',
        examples: {
          curl: `curl -X POST ${c.baseUrl}/api/v1/projects ${auth} -d '{"name":"My app"}'`,
          openai:
            '// Projects are created in the dashboard or with the curl example; the openai SDK then uses its key.',
        },
      };
    case 'create_api_key':
      return {
        description: 'Create an API key for your app (the secret is shown once).',
        method: 'POST',
        path: `/api/v1/projects/${project(c)}/api-keys/create`,
        examples: {
          curl: `curl -X POST ${c.baseUrl}/api/v1/projects/${project(c)}/api-keys/create ${auth} -d '{"name":"production"}'`,
          openai: `// Put the new key in LLMGUARD_API_KEY; it starts with ${keyHint(c)}`,
        },
      };
    case 'first_request':
      return {
        description: 'Send a first call: record it with /llm/request, or route the openai SDK through the gateway.',
        method: 'POST',
        path: '/api/v1/llm/request',
        examples: callExamples(c),
      };
    case 'review_threshold':
      return {
        description: `Review the safety threshold (risk score at which calls are blocked; default ${DEFAULT_SAFETY_THRESHOLD}).`,
        method: 'POST',
        path: `/api/v1/settings/project?projectId=${project(c)}`,
        examples: {
          curl: `curl -X POST "${c.baseUrl}/api/v1/settings/project?projectId=${project(c)}" ${auth} -d '{"safetyThreshold":70}'`,
          openai: callExamples(c).openai,
        },
      };
    case 'alert_webhook':
      return {
        description: 'Set an alert webhook (and its signing secret), then send a signed test alert.',
        method: 'POST',
        path: '/api/v1/onboarding/alerts/test',
        examples: {
          curl: [
            `curl -X POST "${c.baseUrl}/api/v1/settings/project?projectId=${project(c)}" ${auth} \\`,
            `  -d '{"alertWebhookUrl":"https://hooks.example.com/llmguard","alertWebhookSecret":"<a secret of yours>"}'`,
            `curl -X POST ${c.baseUrl}/api/v1/onboarding/alerts/test ${auth} -d '{"projectId":"${project(c)}"}'`,
          ].join('\n'),
          openai:
            '// Alerts are sent by LLMGuard; check X-LLMGuard-Signature (sha256=HMAC of the body) in your receiver.',
        },
      };
    case 'first_incident':
      return {
        description: 'Open an incident to see its root-cause analysis and remediations.',
        method: 'GET',
        path: `/api/v1/incidents?projectId=${project(c)}`,
        examples: {
          curl: `curl "${c.baseUrl}/api/v1/incidents?projectId=${project(c)}" -H "Authorization: Bearer $ACCESS_TOKEN"`,
          openai: callExamples(c).openai,
        },
      };
    case 'choose_plan':
      return {
        description: 'Choose a paid plan for more projects and requests.',
        method: 'POST',
        path: '/api/v1/billing/checkout',
        examples: {
          curl: `curl -X POST ${c.baseUrl}/api/v1/billing/checkout ${auth} -d '{"plan":"pro"}'`,
          openai: '// Plans do not change the SDK setup.',
        },
      };
  }
}

/** The GET /onboarding answer from the steps' completion times. */
export function onboardingView(doneAt: Partial<Record<OnboardingStepId, Date | null>>, c: ExampleContext) {
  const steps = ONBOARDING_STEPS.map((id) => {
    const at = doneAt[id] ?? null;
    return { id, title: TITLES[id], done: at !== null, doneAt: at, next: at ? null : nextFor(id, c) };
  });
  const done = steps.filter((s) => s.done).length;
  return { steps, progress: Math.round((done / steps.length) * 100) };
}
