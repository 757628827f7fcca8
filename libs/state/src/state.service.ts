import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  CallbackRegistry,
  type CallbackOutcome,
  type WidgetCallback,
} from './callbacks/callback-registry';
import type { ConnectionInfo, RegisterConnectionOptions } from './connections/connection.models';
import type { CreateSessionInput, UserSession } from './sessions/session.models';
import type { StateEvent, Unsubscribe } from './events/event.models';
import type { WidgetRecord } from './widgets/widget.models';
import { STATE_OPTIONS } from './state.constants';
import { StateValidationError } from './state.errors';
import type { ResolvedStateOptions } from './state.options';
import { ConnectionRouter } from './connections/connection-router';
import { EventBus } from './events/event-bus';
import { SessionStore } from './sessions/session-store';
import { WidgetStore } from './widgets/widget-store';
import { assertId } from './common/validation';

/** Channel every worker listens on for events addressed to all of a widget's connections. */
export const BROADCAST_CHANNEL = 'widget-events';
/** Channel of events addressed to one worker. */
export const workerChannel = (workerId: string): string => `worker:${workerId}`;

/** Event types of the callback request/reply between workers (never handed to listeners). */
export const CALLBACK_REQUEST_EVENT = 'livegate:callback:request';
export const CALLBACK_REPLY_EVENT = 'livegate:callback:reply';

interface CallbackRequest {
  correlationId: string;
  replyTo: string;
  eventType: string;
  data: unknown;
}

interface CallbackReply {
  correlationId: string;
  outcome: CallbackOutcome;
}

/** Receives widget events this worker should push to its local WebSocket connections. */
export type WidgetEventListener = (event: StateEvent) => void | Promise<void>;

/** Outcome of `sendToWidget`. */
export type DeliveryOutcome =
  { delivered: true; workerId: string } | { delivered: false; reason: 'not_connected' };

/**
 * The high-level state API a server uses: widgets, connections, callbacks, events and sessions,
 * the same on every backend. Events for widgets are handed to the listeners registered with
 * `onWidgetEvent` on the worker that should deliver them.
 */
@Injectable()
export class StateService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(StateService.name);
  private readonly listeners = new Set<WidgetEventListener>();
  private readonly subscriptions: Unsubscribe[] = [];
  /** Callback invocations waiting for another worker's reply, by correlation id. */
  private readonly pendingCalls = new Map<string, (outcome: CallbackOutcome) => void>();
  /** Connections registered through this service, kept alive by the heartbeat timer. */
  private readonly localConnections = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly widgets: WidgetStore,
    private readonly events: EventBus,
    private readonly connections: ConnectionRouter,
    private readonly sessions: SessionStore,
    private readonly callbacks: CallbackRegistry,
    @Inject(STATE_OPTIONS) private readonly options: ResolvedStateOptions,
  ) {}

  /** This process's worker id. */
  get workerId(): string {
    return this.options.workerId;
  }

  async onModuleInit(): Promise<void> {
    const deliver = (event: StateEvent) => this.dispatch(event);
    this.subscriptions.push(
      await this.events.subscribe(BROADCAST_CHANNEL, deliver),
      await this.events.subscribe(workerChannel(this.workerId), deliver),
    );
    // Heartbeats three times per TTL keep this worker's connections alive; a killed worker's
    // connections expire within the TTL.
    const interval = Math.max(10, (this.options.connectionTtl * 1000) / 3);
    this.heartbeatTimer = setInterval(() => void this.heartbeatAll(), interval);
    this.heartbeatTimer.unref();
  }

  /** Unsubscribes and unregisters this worker's connections: a clean shutdown leaves none behind. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    for (const resolve of this.pendingCalls.values()) {
      resolve({ handled: false, reason: 'not_delivered', error: 'The worker is shutting down' });
    }
    this.pendingCalls.clear();
    const subscriptions = this.subscriptions.splice(0);
    await Promise.allSettled(subscriptions.map((unsubscribe) => unsubscribe()));
    try {
      for (const widgetId of await this.connections.listWorkerConnections(this.workerId)) {
        await this.connections.unregisterConnection(widgetId);
      }
    } catch (error) {
      this.logger.warn(`Could not unregister this worker's connections: ${String(error)}`);
    }
    this.localConnections.clear();
    this.callbacks.clear();
    this.listeners.clear();
  }

  // Widgets

  /** Registers a widget rendered by this worker. */
  registerWidget(
    widgetId: string,
    html: string,
    options: { token?: string; metadata?: Record<string, unknown> } = {},
  ): Promise<WidgetRecord> {
    return this.widgets.register(widgetId, html, { ...options, ownerWorkerId: this.workerId });
  }

  getWidget(widgetId: string): Promise<WidgetRecord | null> {
    return this.widgets.get(widgetId);
  }

  getWidgetHtml(widgetId: string): Promise<string | null> {
    return this.widgets.getHtml(widgetId);
  }

  updateWidgetHtml(widgetId: string, html: string): Promise<boolean> {
    return this.widgets.updateHtml(widgetId, html);
  }

  updateWidgetToken(widgetId: string, token: string): Promise<boolean> {
    return this.widgets.updateToken(widgetId, token);
  }

  listWidgets(): Promise<string[]> {
    return this.widgets.listActive();
  }

  /** Deletes the widget, its connection and this worker's callbacks for it. */
  async removeWidget(widgetId: string): Promise<boolean> {
    const deleted = await this.widgets.delete(widgetId);
    await this.connections.unregisterConnection(widgetId);
    this.localConnections.delete(widgetId);
    this.callbacks.unregister(widgetId);
    return deleted;
  }

  // Connections

  /**
   * Records that this worker holds the widget's WebSocket connection; the service renews it by
   * heartbeat until it is unregistered.
   */
  async registerConnection(
    widgetId: string,
    options: RegisterConnectionOptions = {},
  ): Promise<ConnectionInfo> {
    const info = await this.connections.registerConnection(widgetId, this.workerId, options);
    this.localConnections.add(widgetId);
    return info;
  }

  /** Removes the widget's connection if this worker holds it. */
  async unregisterConnection(widgetId: string): Promise<boolean> {
    this.localConnections.delete(widgetId);
    if ((await this.connections.getOwner(widgetId)) !== this.workerId) {
      return false;
    }
    return this.connections.unregisterConnection(widgetId);
  }

  /** Renews the TTL of the widget's connection; `false` when it is gone. */
  heartbeat(widgetId: string): Promise<boolean> {
    return this.connections.refreshHeartbeat(widgetId);
  }

  // Callbacks

  /** Registers a callback on this worker; returns a function removing it. */
  async registerCallback<TData = unknown, TResult = unknown>(
    widgetId: string,
    eventType: string,
    callback: WidgetCallback<TData, TResult>,
  ): Promise<() => void> {
    return this.callbacks.register(widgetId, eventType, callback as WidgetCallback);
  }

  /**
   * Invokes the widget's callback and returns `{ handled: true, result }`. A callback registered
   * here runs here; otherwise the call goes to the worker holding the widget's connection and
   * its answer comes back. Failures are results, never exceptions: `callback_error` (the callback
   * threw), `no_callback`, `not_connected` (no live connection to route to) and `not_delivered`
   * (the owning worker did not answer within `callbackTimeout`).
   */
  async invokeCallback<TResult = unknown>(
    widgetId: string,
    eventType: string,
    data?: unknown,
  ): Promise<CallbackOutcome<TResult>> {
    if (this.callbacks.has(widgetId, eventType)) {
      return this.callbacks.invoke<TResult>(widgetId, eventType, data);
    }
    const owner = await this.connections.getOwner(widgetId);
    if (owner === null) {
      return { handled: false, reason: 'not_connected' };
    }
    if (owner === this.workerId) {
      return { handled: false, reason: 'no_callback' };
    }
    return (await this.invokeRemote(owner, widgetId, eventType, data)) as CallbackOutcome<TResult>;
  }

  // Events

  /** Receives the widget events this worker should push to its connections. */
  onWidgetEvent(listener: WidgetEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sends an event to every worker, for whichever holds the widget's connection. */
  async broadcastEvent(widgetId: string, eventType: string, data?: unknown): Promise<void> {
    assertId('widgetId', widgetId);
    await this.events.publish(BROADCAST_CHANNEL, { eventType, widgetId, data });
  }

  /** Sends an event to the worker holding the widget's connection. */
  async sendToWidget(
    widgetId: string,
    eventType: string,
    data?: unknown,
  ): Promise<DeliveryOutcome> {
    const owner = await this.connections.getOwner(widgetId);
    if (owner === null) {
      return { delivered: false, reason: 'not_connected' };
    }
    await this.events.publish(workerChannel(owner), {
      eventType,
      widgetId,
      data,
      targetWorkerId: owner,
    });
    return { delivered: true, workerId: owner };
  }

  // Sessions

  createSession(input: CreateSessionInput): Promise<UserSession> {
    return this.sessions.createSession(input);
  }

  getSession(sessionId: string): Promise<UserSession | null> {
    return this.sessions.getSession(sessionId);
  }

  private async invokeRemote(
    owner: string,
    widgetId: string,
    eventType: string,
    data: unknown,
  ): Promise<CallbackOutcome> {
    const correlationId = randomUUID();
    const timeoutMs = this.options.callbackTimeout * 1000;
    const reply = new Promise<CallbackOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pendingCalls.delete(correlationId);
        resolve({
          handled: false,
          reason: 'not_delivered',
          error: `Worker ${owner} did not answer within ${timeoutMs} ms`,
        });
      }, timeoutMs);
      this.pendingCalls.set(correlationId, (outcome) => {
        clearTimeout(timer);
        this.pendingCalls.delete(correlationId);
        resolve(outcome);
      });
    });
    const request: CallbackRequest = { correlationId, replyTo: this.workerId, eventType, data };
    try {
      await this.events.publish(workerChannel(owner), {
        eventType: CALLBACK_REQUEST_EVENT,
        widgetId,
        targetWorkerId: owner,
        data: request,
      });
    } catch (error) {
      this.pendingCalls.get(correlationId)?.({
        handled: false,
        reason: 'not_delivered',
        error: error instanceof Error ? error.message : String(error),
      });
      if (error instanceof StateValidationError) {
        throw error;
      }
    }
    return reply;
  }

  /** Runs a callback for another worker and sends the outcome back. */
  private async answerRemote(event: StateEvent): Promise<void> {
    const request = event.data as Partial<CallbackRequest> | null;
    if (
      event.widgetId === null ||
      typeof request?.correlationId !== 'string' ||
      typeof request.replyTo !== 'string' ||
      typeof request.eventType !== 'string'
    ) {
      this.logger.warn(`Ignored a malformed callback request from ${event.sourceWorkerId}`);
      return;
    }
    const { correlationId, replyTo } = request;
    const widgetId = event.widgetId;
    let outcome = await this.callbacks.invoke(widgetId, request.eventType, request.data);
    const send = (answer: CallbackOutcome) =>
      this.events.publish(workerChannel(replyTo), {
        eventType: CALLBACK_REPLY_EVENT,
        widgetId,
        targetWorkerId: replyTo,
        data: { correlationId, outcome: answer } satisfies CallbackReply,
      });
    try {
      try {
        await send(outcome);
      } catch (error) {
        if (!(error instanceof StateValidationError)) {
          throw error;
        }
        outcome = {
          handled: false,
          reason: 'callback_error',
          error: 'The callback result cannot be sent as JSON',
        };
        await send(outcome);
      }
    } catch (error) {
      this.logger.error(`Could not answer a callback request: ${String(error)}`);
    }
  }

  private async heartbeatAll(): Promise<void> {
    for (const widgetId of [...this.localConnections]) {
      try {
        if (!(await this.connections.refreshHeartbeat(widgetId))) {
          this.localConnections.delete(widgetId);
        }
      } catch (error) {
        this.logger.warn(`Heartbeat of ${widgetId} failed: ${String(error)}`);
        return;
      }
    }
  }

  private async dispatch(event: StateEvent): Promise<void> {
    if (event.targetWorkerId !== null && event.targetWorkerId !== this.workerId) {
      return;
    }
    if (event.eventType === CALLBACK_REQUEST_EVENT) {
      return this.answerRemote(event);
    }
    if (event.eventType === CALLBACK_REPLY_EVENT) {
      const reply = event.data as Partial<CallbackReply> | null;
      if (typeof reply?.correlationId === 'string' && reply.outcome) {
        this.pendingCalls.get(reply.correlationId)?.(reply.outcome);
      }
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        await listener(event);
      } catch (error) {
        this.logger.error(`Widget event listener failed for ${event.eventType}: ${String(error)}`);
      }
    }
  }
}
