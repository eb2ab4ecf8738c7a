// A client of the tokenkeeper daemon: a token, its headers, and the report-and-retry-once loop.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";

const DEFAULT_URL = "http://127.0.0.1:8787";
// The daemon answers a consumer within its upstream timeout (30 s by default) plus one second.
const DEFAULT_TIMEOUT_MS = 35_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
// Requests that met the 401 with the same token at the same moment share one report.
const REPLACEMENT_MEMORY_MS = 60_000;
const COMMAND = /`(tokenkeeper [^`]+)`|(tokenkeeper (?:import|authorize|login|cookiecloud) [^;:,)]+)/;

/** The daemon could not give a token: `status` (HTTP, or undefined without an answer), `code`. */
export class TokenKeeperError extends Error {
  constructor(message, { status, code } = {}) {
    super(message);
    this.name = "TokenKeeperError";
    this.status = status;
    this.code = code;
  }
}

/** Nothing answered where the daemon should listen. */
export class DaemonNotRunning extends TokenKeeperError {
  constructor(address, reason) {
    super(`tokenkeeper is not running at ${address} (${reason}): start it with \`tokenkeeper run\` `
      + "(or `sudo systemctl start tokenkeeper`), or set TOKENKEEPER_URL to where it listens");
    this.name = "DaemonNotRunning";
    this.address = address;
  }
}

/** The bearer token was refused (401), or a consumer token asked for a credential it was not given (403). */
export class NotAllowed extends TokenKeeperError {
  constructor(message, details) {
    super(message, details);
    this.name = "NotAllowed";
  }
}

/** The credential needs a person: `command` is what to run. */
export class NeedsHuman extends TokenKeeperError {
  constructor(message, details, command) {
    super(message, details);
    this.name = "NeedsHuman";
    this.command = command;
  }
}

/** A passing failure: ask again later (`retryAfter` seconds when the daemon said so). */
export class Unavailable extends TokenKeeperError {
  constructor(message, details, retryAfter) {
    super(message, details);
    this.name = "Unavailable";
    this.retryAfter = retryAfter;
  }
}

export class TokenKeeper {
  #target;
  #bearer;
  #timeoutMs;
  #connectTimeoutMs;
  #replacements = new Map();

  /**
   * @param {object} [options] url (`http(s)://host:port` or `unix:/path`), tokenFile, caFile,
   *   timeoutMs, connectTimeoutMs; by default from TOKENKEEPER_URL, TOKENKEEPER_TOKEN_FILE, TOKENKEEPER_CA_FILE.
   */
  constructor(options = {}) {
    const url = (options.url ?? process.env.TOKENKEEPER_URL ?? DEFAULT_URL).replace(/\/+$/, "");
    const caFile = options.caFile ?? process.env.TOKENKEEPER_CA_FILE;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#target = target(url, caFile);
    this.#bearer = readBearer(options.tokenFile ?? process.env.TOKENKEEPER_TOKEN_FILE);
  }

  /** @returns {string} where the daemon is asked */
  get address() {
    return this.#target.address;
  }

  toString() {
    return `TokenKeeper(${this.#target.address})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")]() {
    return this.toString();
  }

  /** The daemon's whole answer: token, headers, expiresAt, version. */
  async view(id, { minValidity = 60 } = {}) {
    return this.#call("GET", `/api/v1/credentials/${encodeURIComponent(id).replace("%3A", ":")}/token`
      + `?minValidity=${Math.trunc(minValidity)}`, id);
  }

  /** The current token, valid for at least minValidity seconds. */
  async token(id, options) {
    return (await this.view(id, options)).token;
  }

  /** The headers to send upstream (Authorization, or Cookie and friends for a browser session). */
  async headers(id, options) {
    return { ...(await this.view(id, options)).headers };
  }

  /** Reports that the upstream rejected `token` and answers the daemon's whole answer for its replacement. */
  async rejectedView(id, token) {
    const key = `${id}\u0000${createHash("sha256").update(token).digest("hex")}`;
    const now = Date.now();
    for (const [k, v] of this.#replacements) {
      if (now - v.at >= REPLACEMENT_MEMORY_MS) this.#replacements.delete(k);
    }
    const remembered = this.#replacements.get(key);
    if (remembered) return remembered.answer;
    const answer = this.#call("POST", `/api/v1/credentials/${encodeURIComponent(id).replace("%3A", ":")}/rejected`,
      id, { token });
    this.#replacements.set(key, { at: now, answer });
    try {
      return await answer;
    } catch (e) {
      this.#replacements.delete(key);
      throw e;
    }
  }

  /** Reports that the upstream rejected `token` (a 401) and answers its replacement. */
  async rejected(id, token) {
    return (await this.rejectedView(id, token)).token;
  }

  /**
   * The global fetch with the credential's headers; on a 401, reports the token, takes the
   * replacement and sends the request once more. A body that is a stream cannot be sent twice:
   * pass a string, Buffer, URLSearchParams or FormData.
   */
  async fetch(id, url, init = {}, { minValidity = 60 } = {}) {
    const view = await this.view(id, { minValidity });
    const first = await fetch(url, withHeaders(init, view.headers));
    if (first.status !== 401) return first;
    const replacement = await this.rejectedView(id, view.token);
    if (replacement.token === view.token) return first;
    await first.body?.cancel();
    return fetch(url, withHeaders(init, replacement.headers));
  }

  #call(method, path, id, body) {
    return request(this.#target, method, path, this.#bearer, body, this.#timeoutMs, this.#connectTimeoutMs)
      .then(({ status, headers, json }) => answerOrError(this.#target.address, id, status, headers, json));
  }
}

function withHeaders(init, headers) {
  const merged = new Headers(init.headers ?? {});
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return { ...init, headers: merged };
}

function target(url, caFile) {
  if (url.startsWith("unix:")) {
    const socketPath = url.slice("unix:".length);
    if (!socketPath.startsWith("/")) {
      throw new TokenKeeperError(`TOKENKEEPER_URL ${url} needs an absolute socket path, e.g. unix:/run/tokenkeeper/tokenkeeper.sock`);
    }
    return { address: url, module: http, options: { socketPath, host: "localhost" } };
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new TokenKeeperError(`TOKENKEEPER_URL ${url} is not http(s)://host:port or unix:/path/to.sock`);
  }
  const secure = parsed.protocol === "https:";
  const options = { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: parsed.port || (secure ? 443 : 80) };
  if (secure && caFile) options.ca = readFileSync(caFile);
  return { address: url, module: secure ? https : http, options };
}

function request(target, method, path, bearer, body, timeoutMs, connectTimeoutMs) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { Authorization: `Bearer ${bearer}`, Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = payload.length;
    }
    let connected = false;
    const req = target.module.request({ ...target.options, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => {
        clearTimeout(deadline);
        const text = Buffer.concat(chunks).toString("utf8");
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, json });
      });
      res.on("error", fail);
    });
    const connectDeadline = setTimeout(() => {
      if (!connected) req.destroy(Object.assign(new Error("no answer to connect"), { code: "ETIMEDOUT" }));
    }, connectTimeoutMs);
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "TOKENKEEPER_TIMEOUT" })), timeoutMs);
    req.on("socket", (socket) => {
      const onConnect = () => { connected = true; clearTimeout(connectDeadline); };
      if (socket.connecting) socket.once(target.module === https ? "secureConnect" : "connect", onConnect);
      else onConnect();
    });
    function fail(error) {
      clearTimeout(deadline);
      clearTimeout(connectDeadline);
      if (!connected && ["ECONNREFUSED", "ENOENT", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"].includes(error.code)) {
        reject(new DaemonNotRunning(target.address, reason(error)));
      } else if (error.code === "TOKENKEEPER_TIMEOUT") {
        reject(new TokenKeeperError(`tokenkeeper at ${target.address} did not answer within ${timeoutMs / 1000} s`));
      } else if (/certificate|SSL|TLS/i.test(`${error.code} ${error.message}`)) {
        reject(new TokenKeeperError(`TLS with tokenkeeper at ${target.address} failed (${error.code}): set `
          + "TOKENKEEPER_CA_FILE to the CA that signed its certificate"));
      } else {
        reject(new TokenKeeperError(`tokenkeeper at ${target.address} failed (${reason(error)})`));
      }
    }
    req.on("error", fail);
    if (payload) req.write(payload);
    req.end();
  });
}

function reason(error) {
  switch (error.code) {
    case "ECONNREFUSED": return "connection refused";
    case "ENOENT": return "no such socket";
    case "ETIMEDOUT": return "no answer to connect";
    default: return error.code ?? error.message;
  }
}

function answerOrError(address, id, status, headers, json) {
  if (status >= 200 && status < 300 && json && typeof json.token === "string") return json;
  const code = json?.error;
  const said = json?.message ?? `HTTP ${status}`;
  const details = { status, code };
  if (status === 401) {
    throw new NotAllowed(`tokenkeeper at ${address} refused the bearer token (${said}): TOKENKEEPER_TOKEN_FILE must hold a `
      + `consumer token (\`tokenkeeper consumer add NAME --credential ${id}\`) or the admin token`, details);
  }
  if (status === 403) {
    throw new NotAllowed(`this token may not read ${id} (${said}): give the consumer that credential `
      + `(\`tokenkeeper consumer add NAME --credential ${id}\`) or use its own token`, details);
  }
  if (status === 404) {
    throw new TokenKeeperError(`tokenkeeper has no credential ${id} (${said}): \`tokenkeeper status\` lists them`, details);
  }
  if (status === 409) {
    const found = COMMAND.exec(said);
    const [provider, account] = id.split(":");
    const command = found ? (found[1] ?? found[2]).trim() : `tokenkeeper import ${provider} --account ${account ?? "default"}`;
    const hint = said.includes(command) ? "" : `; run \`${command}\``;
    throw new NeedsHuman(`${id} needs a person: ${said}${hint}`, details, command);
  }
  if (status === 429 || status === 503) {
    const retry = headers["retry-after"];
    throw new Unavailable(`tokenkeeper cannot give ${id} a token now (${said}): ask again later`, details,
      retry && /^\d+$/.test(retry) ? Number(retry) : undefined);
  }
  throw new TokenKeeperError(`tokenkeeper answered ${status} for ${id} (${said})`, details);
}

function readBearer(tokenFile) {
  const candidates = tokenFile ? [tokenFile] : defaultTokenFiles();
  for (const candidate of candidates) {
    let text;
    try {
      text = readFileSync(candidate, "utf8").trim();
    } catch (e) {
      if (e.code === "ENOENT" && !tokenFile) continue;
      if (e.code === "ENOENT") {
        throw new TokenKeeperError(`TOKENKEEPER_TOKEN_FILE ${candidate} does not exist: give it the consumer token `
          + "`tokenkeeper consumer add NAME --credential ID` printed");
      }
      if (e.code === "EACCES") {
        throw new TokenKeeperError(`${candidate} cannot be read by this user: give the program a consumer token of its own `
          + "(`tokenkeeper consumer add NAME --credential ID`) in a file it can read, and set TOKENKEEPER_TOKEN_FILE");
      }
      throw new TokenKeeperError(`${candidate} cannot be read (${e.code})`);
    }
    if (!text) throw new TokenKeeperError(`${candidate} is empty: it must hold a consumer token or the admin token`);
    return text;
  }
  throw new TokenKeeperError("no token file: set TOKENKEEPER_TOKEN_FILE to a consumer token file "
    + `(\`tokenkeeper consumer add NAME --credential ID\` prints one) or to the admin token (tried ${candidates.join(", ")})`);
}

function defaultTokenFiles() {
  if (process.env.TOKENKEEPER_STATE_DIR) return [join(process.env.TOKENKEEPER_STATE_DIR, "admin-token")];
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return [join(state, "tokenkeeper", "admin-token")];
}
