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
import type {
  ConnectionInfo,
  CreateSessionInput,
  RegisterConnectionOptions,
  StateEvent,
  Unsubscribe,
  UserSession,
  WidgetRecord,
} from './models';
import { STATE_OPTIONS } from './state.constants';
import type { ResolvedStateOptions } from './state.options';
import { ConnectionRouter } from './stores/connection-router';
import { EventBus } from './stores/event-bus';
import { SessionStore } from './stores/session-store';
import { WidgetStore } from './stores/widget-store';
import { assertId } from './validation';

/** Channel every worker listens on for events addressed to all of a widget's connections. */
export const BROADCAST_CHANNEL = 'widget-events';
/** Channel of events addressed to one worker. */
export const workerChannel = (workerId: string): string => `worker:${workerId}`;

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
  }

  /** Unsubscribes and unregisters this worker's connections: a clean shutdown leaves none behind. */
  async onModuleDestroy(): Promise<void> {
    const subscriptions = this.subscriptions.splice(0);
    await Promise.allSettled(subscriptions.map((unsubscribe) => unsubscribe()));
    try {
      for (const widgetId of await this.connections.listWorkerConnections(this.workerId)) {
        await this.connections.unregisterConnection(widgetId);
      }
    } catch (error) {
      this.logger.warn(`Could not unregister this worker's connections: ${String(error)}`);
    }
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
    this.callbacks.unregister(widgetId);
    return deleted;
  }

  // Connections

  /** Records that this worker holds the widget's WebSocket connection. */
  registerConnection(
    widgetId: string,
    options: RegisterConnectionOptions = {},
  ): Promise<ConnectionInfo> {
    return this.connections.registerConnection(widgetId, this.workerId, options);
  }

  /** Removes the widget's connection if this worker holds it. */
  async unregisterConnection(widgetId: string): Promise<boolean> {
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
   * Invokes the widget's callback and returns `{ handled, result }`. A callback that throws is
   * reported as `{ handled: false, reason: 'callback_error' }`.
   */
  invokeCallback<TResult = unknown>(
    widgetId: string,
    eventType: string,
    data?: unknown,
  ): Promise<CallbackOutcome<TResult>> {
    return this.callbacks.invoke<TResult>(widgetId, eventType, data);
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

  private async dispatch(event: StateEvent): Promise<void> {
    if (event.targetWorkerId !== null && event.targetWorkerId !== this.workerId) {
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
