import { Catch, Injectable, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AuthRedirectException } from './auth.errors';

/** Answers a denied `@Auth` page with `303 See Other` to its login page, on any platform. */
@Catch(AuthRedirectException)
@Injectable()
export class AuthRedirectFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: AuthRedirectException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<unknown>();
    this.adapterHost.httpAdapter.redirect(response, 303, exception.location);
  }
}
