/**
 * The event stream server: WebSocket (ws, noServer) on a Unix socket, where file permissions are the
 * authentication, and optionally on TCP, where `Authorization: Bearer <token>` is checked before the
 * upgrade. The stream is read-only: a client that sends any data message is closed (1008). A client
 * whose send buffer passes the limit is closed with 1013 and never slows the others. /metrics is
 * served on both listeners (behind the token on TCP).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, statSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { parseResumePoint } from "../model/events.js";
import type { EventHub } from "./hub.js";

export interface Limits {
  readonly maxClients: number;
  readonly slowClientBytes: number;
  readonly pingIntervalMs: number;
  readonly bookmarkIntervalMs: number;
}

export interface ServerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** What the server reports to the metrics. */
export interface ServerObserver {
  clients(count: number): void;
  closed(reason: "slow" | "protocol" | "silent" | "read-only"): void;
  refused(reason: "auth" | "full" | "bad-request" | "not-found"): void;
}

export interface ServerOptions {
  readonly hub: EventHub;
  readonly socketPath?: string;
  readonly socketMode?: number;
  /** Group of the socket: its members may connect (with socket_mode 0660). */
  readonly socketGid?: number;
  readonly tcp?: { readonly host: string; readonly port: number };
  /** The current bearer token for TCP clients (re-read on config reload). */
  readonly token: () => string | undefined;
  readonly limits: Limits;
  readonly maxPayloadBytes: number;
  /** Grace time for a slow client to take its 1013 close frame before it is cut. */
  readonly slowCloseGraceMs?: number;
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
  readonly log: ServerLog;
  readonly observer?: ServerObserver;
}

interface Client {
  readonly ws: WebSocket;
  readonly via: "unix" | "tcp";
  alive: boolean;
  closing: boolean;
}

const EVENTS_PATHS = new Set(["/", "/events"]);

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Constant-time comparison of `Authorization: Bearer <token>` with the configured token. */
export function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || header === undefined) return false;
  const m = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  if (m === null) return false;
  return timingSafeEqual(digest(m[1] as string), digest(token));
}

function refuse(socket: Duplex, status: number, text: string, extra = ""): void {
  const body = `${text}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
  socket.destroy();
}

/**
 * The header and payload of one unmasked, unfragmented WebSocket text frame (RFC 6455 section 5.2):
 * what a server sends. Built once and written to every client.
 */
export function textFrame(payload: Buffer): [Buffer, Buffer] {
  const n = payload.length;
  let header: Buffer;
  if (n < 126) {
    header = Buffer.allocUnsafe(2);
    header[1] = n;
  } else if (n < 65536) {
    header = Buffer.allocUnsafe(4);
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header = Buffer.allocUnsafe(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  header[0] = 0x81; // FIN + opcode 1 (text)
  return [header, payload];
}

/** Resolve when something answers on the Unix socket (another daemon is running). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

export class EventServer {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly servers: Server[] = [];
  private limits: Limits;
  private pingTimer: NodeJS.Timeout | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private unixPath: string | undefined;
  private pending: Buffer[] = [];
  private flushScheduled = false;
  tcpPort: number | undefined;

  constructor(private readonly options: ServerOptions) {
    this.limits = options.limits;
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes,
    });
    // Serialized once per event (the hub), framed once per batch, written once per client per batch.
    options.hub.onEvent((e) => this.broadcast(e.text));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async start(): Promise<void> {
    const { socketPath, tcp } = this.options;
    if (socketPath !== undefined) await this.listenUnix(socketPath);
    if (tcp !== undefined) await this.listenTcp(tcp.host, tcp.port);
    this.armTimers();
  }

  /** New limits from a reloaded config; clients stay connected. */
  setLimits(limits: Limits): void {
    const timersChanged = limits.pingIntervalMs !== this.limits.pingIntervalMs || limits.bookmarkIntervalMs !== this.limits.bookmarkIntervalMs;
    this.limits = limits;
    if (timersChanged) this.armTimers();
  }

  private armTimers(): void {
    clearInterval(this.pingTimer);
    clearInterval(this.bookmarkTimer);
    this.pingTimer = setInterval(() => this.heartbeat(), this.limits.pingIntervalMs);
    this.pingTimer.unref();
    if (this.limits.bookmarkIntervalMs > 0) {
      this.bookmarkTimer = setInterval(() => this.broadcast(this.options.hub.control("bookmark")), this.limits.bookmarkIntervalMs);
      this.bookmarkTimer.unref();
    }
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.options.observer?.closed("silent");
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
    }
  }

  private async listenUnix(path: string): Promise<void> {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    if (existsSync(path)) {
      if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
      if (await socketAnswers(path)) throw new Error(`${path}: another pmsappd is already listening`);
      unlinkSync(path);
    }
    const server = this.makeHttpServer("unix");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.off("error", reject);
        resolve();
      });
    });
    chmodSync(path, this.options.socketMode ?? 0o660);
    if (this.options.socketGid !== undefined) this.giveGroup(path, this.options.socketGid);
    this.unixPath = path;
    this.options.log.info({ socket: path }, "listening on Unix socket");
  }

  /**
   * chgrp the socket; connecting also needs search permission on its folder, so a folder closed to
   * others (such as /run/pmsapp, 0750) gets the group too. A folder open to others (/tmp, /run) is left
   * alone: the socket's own mode is the gate there.
   */
  private giveGroup(path: string, gid: number): void {
    chownSync(path, -1, gid);
    const dir = dirname(path);
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chownSync(dir, -1, gid);
      if ((mode & 0o010) === 0) chmodSync(dir, (mode & 0o7777) | 0o010);
    }
    this.options.log.info({ socket: path, gid, folder: (mode & 0o001) === 0 ? dir : undefined }, "socket group set");
  }

  private async listenTcp(host: string, port: number): Promise<void> {
    const server = this.makeHttpServer("tcp");
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    this.tcpPort = typeof address === "object" && address !== null ? address.port : port;
    this.options.log.info({ host, port: this.tcpPort }, "listening on TCP (bearer token required)");
  }

  private makeHttpServer(via: "unix" | "tcp"): Server {
    const server = createServer({ maxHeaderSize: 8192, requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => void this.onRequest(via, req, res));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(via, req, socket, head));
    server.on("clientError", (_err, socket) => socket.destroy());
    this.servers.push(server);
    return server;
  }

  private authorized(via: "unix" | "tcp", req: IncomingMessage): boolean {
    return via === "unix" || bearerMatches(req.headers.authorization, this.options.token());
  }

  private async onRequest(via: "unix" | "tcp", req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const send = (status: number, text: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
      res.end(text);
    };
    if (path !== "/metrics" || this.options.metrics === undefined) return send(404, "not found: try /metrics or a WebSocket upgrade on /events\n");
    if (req.method !== "GET") return send(405, "only GET\n", { Allow: "GET" });
    if (!this.authorized(via, req)) {
      this.options.observer?.refused("auth");
      return send(401, "bearer token required\n", { "WWW-Authenticate": "Bearer" });
    }
    try {
      const m = await this.options.metrics();
      send(200, m.body, { "Content-Type": m.contentType });
    } catch (e) {
      send(500, `metrics failed: ${String(e)}\n`);
    }
  }

  private onUpgrade(via: "unix" | "tcp", req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://pmsappd");
    } catch {
      this.options.observer?.refused("bad-request");
      return refuse(socket, 400, "Bad Request");
    }
    if (!EVENTS_PATHS.has(url.pathname)) {
      this.options.observer?.refused("not-found");
      return refuse(socket, 404, "Not Found");
    }
    if (!this.authorized(via, req)) {
      this.options.observer?.refused("auth");
      this.options.log.warn({ via, remote: req.socket.remoteAddress }, "refused a client without a valid bearer token");
      return refuse(socket, 401, "Unauthorized", "WWW-Authenticate: Bearer\r\n");
    }
    const sinceText = url.searchParams.get("since");
    const since = parseResumePoint(sinceText);
    if (sinceText !== null && since === undefined) {
      this.options.observer?.refused("bad-request");
      return refuse(socket, 400, "Bad Request: since must be <epoch>:<seq>");
    }
    if (this.clients.size >= this.limits.maxClients) {
      this.options.observer?.refused("full");
      this.options.log.warn({ clients: this.clients.size }, "refused a client: connection limit reached");
      return refuse(socket, 503, "Service Unavailable: too many clients", "Retry-After: 5\r\n");
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, via, since));
  }

  private onConnection(ws: WebSocket, via: "unix" | "tcp", since: { epoch: string; seq: number } | undefined): void {
    const client: Client = { ws, via, alive: true, closing: false };
    ws.on("pong", () => {
      client.alive = true;
    });
    ws.on("message", () => {
      // Read-only stream: there is nothing a client may ask.
      this.options.observer?.closed("read-only");
      this.closeClient(client, 1008, "read-only stream: clients may not send messages");
    });
    ws.on("error", () => {
      // Oversized (1009) and malformed (1002) frames land here; ws has already started the close.
      this.options.observer?.closed("protocol");
      client.closing = true;
      setTimeout(() => ws.terminate(), 1_000).unref();
    });
    ws.on("close", () => {
      this.clients.delete(client);
      this.options.observer?.clients(this.clients.size);
    });
    // Events published before this client came are in its snapshot or replay: send them to the others
    // first, so the batch being built cannot reach this client a second time.
    this.flush();
    const opening = this.options.hub.opening(since);
    for (const text of opening.frames) this.sendTo(client, text);
    if (ws.readyState === ws.OPEN && !client.closing) {
      this.clients.add(client);
      this.options.observer?.clients(this.clients.size);
    }
  }

  private closeClient(client: Client, code: number, reason: string): void {
    if (client.closing) return;
    client.closing = true;
    this.clients.delete(client);
    this.options.observer?.clients(this.clients.size);
    try {
      client.ws.close(code, reason);
    } catch {
      client.ws.terminate();
    }
    setTimeout(() => client.ws.terminate(), this.options.slowCloseGraceMs ?? 2_000).unref();
  }

  private sendTo(client: Client, text: string | Buffer): void {
    if (client.closing || client.ws.readyState !== client.ws.OPEN) return;
    if (this.tooSlow(client)) return;
    client.ws.send(text, { binary: false });
  }

  /**
   * Frames published in the same turn of the event loop (a state change is often several events, the
   * journal tail reads several lines at once) go out as one write per client: with 1000 clients the
   * cost is the number of writes (each a syscall through the loopback/TCP stack), not the bytes.
   */
  private broadcast(text: string): void {
    this.pending.push(Buffer.from(text, "utf8"));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const payloads = this.pending;
    this.pending = [];
    const wire = Buffer.concat(payloads.map(textFrame).flat());
    for (const c of this.clients) {
      if (c.closing || c.ws.readyState !== c.ws.OPEN) continue;
      if (this.tooSlow(c)) continue;
      // ws has no public call for "write these ready-made frames"; its own sender writes to the same
      // socket the same way (server frames are never masked; no compression is negotiated here).
      const socket = (c.ws as unknown as { _socket?: Duplex })._socket;
      if (socket !== undefined && socket.writable) socket.write(wire);
      else for (const p of payloads) c.ws.send(p, { binary: false });
    }
  }

  private tooSlow(client: Client): boolean {
    if (client.ws.bufferedAmount <= this.limits.slowClientBytes) return false;
    this.options.observer?.closed("slow");
    this.options.log.warn({ via: client.via, buffered: client.ws.bufferedAmount }, "closed a slow client (1013)");
    this.closeClient(client, 1013, "slow consumer: reconnect with since=<epoch>:<seq>");
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    clearInterval(this.bookmarkTimer);
    for (const c of this.clients) {
      c.closing = true;
      c.ws.close(1001, "daemon shutting down");
    }
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    setTimeout(() => {
      for (const c of this.clients) c.ws.terminate();
      for (const s of this.servers) s.closeAllConnections();
    }, 500).unref();
    await Promise.all(closing);
    this.clients.clear();
    if (this.unixPath !== undefined) {
      try {
        unlinkSync(this.unixPath);
      } catch {
        /* already gone */
      }
    }
  }
}
