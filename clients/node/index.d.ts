/** Where the daemon is and which token to use; each defaults to its environment variable. */
export interface TokenKeeperOptions {
  /** `http://host:port`, `https://host:port` or `unix:/path/to.sock` (TOKENKEEPER_URL, else http://127.0.0.1:8787). */
  url?: string;
  /** A file holding a consumer token or the admin token (TOKENKEEPER_TOKEN_FILE, else the daemon's admin token). */
  tokenFile?: string;
  /** The CA of a daemon serving HTTPS with a private certificate (TOKENKEEPER_CA_FILE). */
  caFile?: string;
  /** Longest wait for the daemon's answer, in milliseconds (35,000: the daemon answers within 31 s). */
  timeoutMs?: number;
  /** Longest wait to connect, in milliseconds (2,000). */
  connectTimeoutMs?: number;
}

/** The daemon's answer for a credential's token. */
export interface TokenView {
  id: string;
  token: string;
  /** The headers to send upstream. */
  headers: Record<string, string>;
  expiresAt?: string | null;
  version: number;
  warning?: string | null;
}

export interface TokenOptions {
  /** Seconds the token must stay valid (60). */
  minValidity?: number;
}

export class TokenKeeper {
  constructor(options?: TokenKeeperOptions);
  readonly address: string;
  view(id: string, options?: TokenOptions): Promise<TokenView>;
  token(id: string, options?: TokenOptions): Promise<string>;
  headers(id: string, options?: TokenOptions): Promise<Record<string, string>>;
  rejectedView(id: string, token: string): Promise<TokenView>;
  rejected(id: string, token: string): Promise<string>;
  /** The global fetch with the credential's headers; on a 401: report, take the replacement, retry once. */
  fetch(id: string, url: string | URL, init?: RequestInit, options?: TokenOptions): Promise<Response>;
}

export class TokenKeeperError extends Error {
  readonly status?: number;
  readonly code?: string;
}
export class DaemonNotRunning extends TokenKeeperError {
  readonly address: string;
}
export class NotAllowed extends TokenKeeperError {}
export class NeedsHuman extends TokenKeeperError {
  readonly command: string;
}
export class Unavailable extends TokenKeeperError {
  readonly retryAfter?: number;
}
