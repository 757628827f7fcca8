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
import { CallbackRelay } from './callbacks/callback-relay';
import type { ConnectionInfo, RegisterConnectionOptions } from './connections/connection.models';
import type { CreateSessionInput, UserSession } from './sessions/session.models';
import type { StateEvent, Unsubscribe } from './events/event.models';
import type { WidgetRecord } from './widgets/widget.models';
import { STATE_OPTIONS } from './state.constants';
import type { ResolvedStateOptions } from './state.options';
import { ConnectionRouter } from './connections/connection-router';
import { EventBus } from './events/event-bus';
import { SessionStore } from './sessions/session-store';
import { WidgetStore } from './widgets/widget-store';
import { assertId } from './common/validation';
import { BROADCAST_CHANNEL, workerChannel } from './events/worker-channels';

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
  /** Connections registered through this service, kept alive by the heartbeat timer. */
  private readonly localConnections = new Set<string>();
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly widgets: WidgetStore,
    private readonly events: EventBus,
    private readonly connections: ConnectionRouter,
    private readonly sessions: SessionStore,
    private readonly callbacks: CallbackRegistry,
    private readonly relay: CallbackRelay,
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
    this.relay.close();
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
    return (await this.relay.invoke(owner, widgetId, eventType, data)) as CallbackOutcome<TResult>;
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
    if (this.relay.isProtocolEvent(event)) {
      return this.relay.receive(event);
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
