import { LivegateCreateUsers1764806400000 } from './1764806400000-create-users';

/** The migrations of the user store, in order: add them to an app's own `DataSource`. */
export const USER_STORE_MIGRATIONS = [LivegateCreateUsers1764806400000];
