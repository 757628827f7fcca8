/** Which worker holds the WebSocket connection of a widget. */
export interface ConnectionInfo {
  widgetId: string;
  workerId: string;
  userId: string | null;
  sessionId: string | null;
  connectedAt: number;
  lastHeartbeat: number;
  expiresAt: number;
}

export interface RegisterConnectionOptions {
  userId?: string;
  sessionId?: string;
}
