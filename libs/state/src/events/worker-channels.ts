/** Channel every worker listens on for events addressed to all of a widget's connections. */
export const BROADCAST_CHANNEL = 'widget-events';

/** Channel of events addressed to one worker. */
export const workerChannel = (workerId: string): string => `worker:${workerId}`;
