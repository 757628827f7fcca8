import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { StateEvent } from '../events/event.models';
import { EventBus } from '../events/event-bus';
import { workerChannel } from '../events/worker-channels';
import { STATE_OPTIONS } from '../state.constants';
import { StateValidationError } from '../state.errors';
import type { ResolvedStateOptions } from '../state.options';
import { CallbackRegistry, type CallbackOutcome } from './callback-registry';

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

/**
 * The cross-worker half of `invokeCallback`. Functions cannot travel between workers, so a call
 * for a callback registered elsewhere goes to the owning worker's channel as a request with a
 * correlation id; that worker runs the callback and publishes the outcome to the caller's channel.
 * A caller waits at most `callbackTimeout` and never throws for a lost answer: it gets
 * `not_delivered`. The worker's own event subscription hands protocol events to `receive`.
 */
@Injectable()
export class CallbackRelay {
  private readonly logger = new Logger(CallbackRelay.name);
  /** Invocations waiting for another worker's reply, by correlation id. */
  private readonly pendingCalls = new Map<string, (outcome: CallbackOutcome) => void>();

  constructor(
    private readonly events: EventBus,
    private readonly callbacks: CallbackRegistry,
    @Inject(STATE_OPTIONS)
    private readonly options: Pick<ResolvedStateOptions, 'workerId' | 'callbackTimeout'>,
  ) {}

  /** Whether the event belongs to this protocol: `receive` handles it, listeners never see it. */
  isProtocolEvent(event: StateEvent): boolean {
    return event.eventType === CALLBACK_REQUEST_EVENT || event.eventType === CALLBACK_REPLY_EVENT;
  }

  /** Handles a request (runs the callback, answers) or a reply (settles the waiting call). */
  async receive(event: StateEvent): Promise<void> {
    if (event.eventType === CALLBACK_REQUEST_EVENT) {
      return this.answer(event);
    }
    if (event.eventType === CALLBACK_REPLY_EVENT) {
      const reply = event.data as Partial<CallbackReply> | null;
      if (typeof reply?.correlationId === 'string' && reply.outcome) {
        this.pendingCalls.get(reply.correlationId)?.(reply.outcome);
      }
    }
  }

  /**
   * Asks worker `owner` to run the widget's callback and resolves with its outcome, or with
   * `not_delivered` when it does not answer within `callbackTimeout` or the request cannot be
   * sent. Only data that cannot be sent at all (a validation error) rejects.
   */
  async invoke(
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
    const request: CallbackRequest = {
      correlationId,
      replyTo: this.options.workerId,
      eventType,
      data,
    };
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

  /** Settles every waiting call with `not_delivered`: the worker is shutting down. */
  close(): void {
    for (const resolve of this.pendingCalls.values()) {
      resolve({ handled: false, reason: 'not_delivered', error: 'The worker is shutting down' });
    }
    this.pendingCalls.clear();
  }

  /** Runs a callback for another worker and sends the outcome back. */
  private async answer(event: StateEvent): Promise<void> {
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
}
