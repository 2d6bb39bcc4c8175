/** What happens to incidents: the events the RCA and the alert channels react to. */
export type IncidentEventKind = 'opened' | 'escalated' | 'resolved';

export interface IncidentEvent {
  kind: IncidentEventKind;
  incidentId: string;
  projectId: string;
}

export type IncidentEventHandler = (event: IncidentEvent) => Promise<void> | void;
