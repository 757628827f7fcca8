import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OAuthError } from '../oauth.errors';
import { noStore } from './response-headers';

/** Answers an `OAuthError` of the JSON routes with its status and `{ error, message }`. */
@Catch(OAuthError)
export class OAuthExceptionFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: OAuthError, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<unknown>();
    noStore(reply);
    this.adapterHost.httpAdapter.reply(
      reply,
      { error: error.code, message: error.message },
      error.status,
    );
  }
}
