/**
 * One connection of the CLI to one node's pmsappd: opens the stream (Unix socket or ws:// with the
 * bearer token), validates each frame, and reports how the stream ended in words an operator can act on.
 */
import { WebSocket } from "ws";
import type { DaemonConfig, Peer } from "../config/config.js";
import { frame as frameSchema, type Frame } from "../model/events.js";

export interface NodeTarget {
  readonly name: string;
  /** ws+unix:/run/pmsapp/pmsappd.sock:/events or ws://host:port/events */
  readonly url: string;
  readonly display: string;
}

export type StreamEnd =
  | { readonly kind: "marker" }
  | { readonly kind: "closed"; readonly reason: string }
  | { readonly kind: "unreachable"; readonly reason: string }
  | { readonly kind: "auth"; readonly reason: string }
  | { readonly kind: "bad-frame"; readonly reason: string };

export function localTarget(config: DaemonConfig): NodeTarget {
  return { name: config.nodeName, url: `ws+unix:${config.socketPath}:/events`, display: config.socketPath };
}

export function peerTarget(peer: Peer): NodeTarget {
  if (peer.url.startsWith("ws+unix:")) return { name: peer.name, url: `${peer.url}:/events`, display: peer.url };
  const base = peer.url.replace(/\/+$/, "");
  return { name: peer.name, url: /^ws:\/\/[^/]+$/.test(base) ? `${base}/events` : base, display: peer.url };
}

export type TargetChoice = { ok: true; targets: NodeTarget[] } | { ok: false; error: string };

/** Which daemons to ask: --node, --cluster, or the default (local; for status every peer if any). */
export function chooseTargets(config: DaemonConfig, node: string | undefined, cluster: boolean, preferCluster: boolean): TargetChoice {
  const local = localTarget(config);
  const viaPeers = (): NodeTarget[] => config.peers.map((p) => (p.name === config.nodeName ? local : peerTarget(p)));
  if (node !== undefined) {
    const peer = config.peers.find((p) => p.name === node);
    if (node === config.nodeName) return { ok: true, targets: [local] };
    if (peer !== undefined) return { ok: true, targets: [peerTarget(peer)] };
    return { ok: false, error: `unknown node '${node}': this node is '${config.nodeName}', peers are ${config.peers.map((p) => p.name).join(", ") || "(none configured)"}` };
  }
  if (cluster) {
    if (config.peers.length === 0) return { ok: false, error: "--cluster needs 'peers' in pmsappd.conf (name=ws://host:port ...)" };
    return { ok: true, targets: viaPeers() };
  }
  if (preferCluster && config.peers.length > 0) return { ok: true, targets: viaPeers() };
  return { ok: true, targets: [local] };
}

export interface StreamOptions {
  readonly token: string | undefined;
  readonly since?: { epoch: string; seq: number };
  /** Stop at snapshot-end / replay-end (no --follow). */
  readonly stopAtMarker: boolean;
  readonly connectTimeoutMs: number;
  readonly onFrame: (frame: Frame) => void;
  /** Called once the stream is open (so a follower can tell "reconnected"). */
  readonly onOpen?: () => void;
  /**
   * Give up on a peer that sent neither a frame nor a ping for this long (a node that lost power leaves
   * its TCP connection open for ever, so a follower would wait on it for ever). Undefined = no limit.
   */
  readonly silenceMs?: number;
}

function describeError(e: Error & { code?: string }, target: NodeTarget): string {
  if (e.code === "ENOENT") return `no daemon socket at ${target.display} (is pmsappd running?)`;
  if (e.code === "EACCES") return `permission denied on ${target.display} (run as root or a member of the socket's group)`;
  if (e.code === "ECONNREFUSED") return `connection refused by ${target.display} (pmsappd down or not listening there)`;
  if (e.code === "EHOSTUNREACH" || e.code === "ENETUNREACH") return `no route to ${target.display}`;
  // ws's own wording when the upgrade gets no answer within connectTimeoutMs (seen in the lab for a
  // power-killed node: the TCP connect itself hangs).
  if (/handshake has timed out/.test(e.message)) return `no answer from ${target.display} in time (node down or cut off?)`;
  return `${e.code ?? "error"}: ${e.message}`;
}

export function openStream(target: NodeTarget, options: StreamOptions): { done: Promise<StreamEnd>; close: () => void } {
  const url = options.since === undefined ? target.url : `${target.url}?since=${options.since.epoch}:${options.since.seq}`;
  const headers: Record<string, string> = {};
  if (!target.url.startsWith("ws+unix:") && options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  const ws = new WebSocket(url, { headers, handshakeTimeout: options.connectTimeoutMs, maxPayload: 4 * 1024 * 1024 });
  let settled = false;
  let silence: NodeJS.Timeout | undefined;
  const done = new Promise<StreamEnd>((resolve) => {
    const finish = (end: StreamEnd): void => {
      if (settled) return;
      settled = true;
      clearTimeout(silence);
      resolve(end);
      ws.terminate();
    };
    const heard = (): void => {
      if (options.silenceMs === undefined || settled) return;
      clearTimeout(silence);
      silence = setTimeout(
        () => finish({ kind: "unreachable", reason: `${target.display} sent nothing (no event, bookmark or ping) for ${Math.round((options.silenceMs ?? 0) / 1000)} s; node down or cut off` }),
        options.silenceMs,
      );
    };
    ws.on("ping", heard);
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      finish(
        status === 401
          ? { kind: "auth", reason: `${target.display} refused the bearer token (401); check token_file on both nodes` }
          : { kind: "unreachable", reason: `${target.display} answered HTTP ${status} ${res.statusMessage ?? ""}`.trim() },
      );
    });
    ws.on("open", () => {
      heard();
      options.onOpen?.();
    });
    ws.on("error", (e) => finish({ kind: "unreachable", reason: describeError(e as Error & { code?: string }, target) }));
    ws.on("message", (data) => {
      // Frames already read when the stream ended (after the end marker) are not part of it.
      if (settled) return;
      heard();
      let parsed: Frame;
      try {
        const r = frameSchema.safeParse(JSON.parse(String(data)));
        if (!r.success) return finish({ kind: "bad-frame", reason: `unexpected frame from ${target.display}: ${r.error.issues[0]?.message ?? "invalid"}` });
        parsed = r.data;
      } catch {
        return finish({ kind: "bad-frame", reason: `non-JSON frame from ${target.display}` });
      }
      options.onFrame(parsed);
      if (options.stopAtMarker && (parsed.type === "snapshot-end" || parsed.type === "replay-end")) finish({ kind: "marker" });
    });
    ws.on("close", (code, reason) => finish({ kind: "closed", reason: `stream from ${target.display} closed (${code}${String(reason) ? ` ${String(reason)}` : ""})` }));
  });
  return { done, close: () => ws.close(1000) };
}
