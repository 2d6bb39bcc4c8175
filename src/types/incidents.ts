/** What happens to incidents: the events the RCA and the alert channels react to. */
export type IncidentEventKind = 'opened' | 'escalated' | 'resolved';

export interface IncidentEvent {
  kind: IncidentEventKind;
  incidentId: string;
  projectId: string;
}

/** An incident named with its project, so the statements about it stay on one shard (docs/SCALING.md). */
export interface IncidentRef {
  id: string;
  projectId: string;
}

export type IncidentEventHandler = (event: IncidentEvent) => Promise<void> | void;
