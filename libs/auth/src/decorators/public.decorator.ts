import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'livegate:public';

/** The route needs no authentication; the auth middleware's failures do not affect it. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
