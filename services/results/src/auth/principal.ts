/** Who made a request: the token that authenticated it. */
export interface Principal {
  tokenId: string;
  name: string;
  scopes: readonly string[];
}

/** The operator-chosen admin token (TDM_ADMIN_TOKEN / _FILE) has no row in the store. */
export const CONFIGURED_ADMIN: Principal = {
  tokenId: 'configured-admin',
  name: 'TDM_ADMIN_TOKEN',
  scopes: ['admin'],
};

/** Stands for every request while TDM_AUTH=off (loopback only). */
export const AUTH_OFF: Principal = { tokenId: 'auth-off', name: 'TDM_AUTH=off', scopes: ['admin'] };
