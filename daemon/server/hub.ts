/**
 * The hub: owns the node's current state, stamps events with epoch, sequence number, time and node,
 * keeps the last events in a bounded ring for resume, and hands each frame (serialized once) to the
 * listeners (the WebSocket server, the metrics).
 */
import { randomUUID } from "node:crypto";
import { agentEvent, agentExists, agentId, notableEvent, notableId, notableKind, type JournalLine } from "../model/agent-events.js";
import { diffStates, snapshotEvents } from "../model/diff.js";
import { PROTOCOL_VERSION, type ControlFrame, type EventBody, type EventFrame } from "../model/events.js";
import { EMPTY_STATE, type NodeState } from "../model/state.js";
import { Ring } from "./ring.js";

export interface StampedEvent {
  readonly frame: EventFrame;
  /** The frame as sent on the wire (JSON, serialized once for all clients). */
  readonly text: string;
}

/** What a client gets first: either a replay of what it missed, or a fresh snapshot (and why). */
export type Opening = { mode: "replay"; frames: string[] } | { mode: "snapshot"; frames: string[]; reason: string };

export type EventListener = (event: StampedEvent) => void;

export class EventHub {
  readonly epoch: string;
  private seq = 0;
  private state: NodeState = EMPTY_STATE;
  private readonly agents = new Map<string, JournalLine>();
  /** Each instance's last refusal and last override, by notable id (`raid/r1!refusal`). */
  private readonly notable = new Map<string, JournalLine>();
  private ring: Ring<StampedEvent>;
  private readonly listeners: EventListener[] = [];

  constructor(
    readonly node: string,
    ringSize: number,
    private readonly now: () => Date = () => new Date(),
    epoch: string = randomUUID(),
  ) {
    this.epoch = epoch;
    this.ring = new Ring(ringSize);
  }

  get currentSeq(): number {
    return this.seq;
  }

  get currentState(): NodeState {
    return this.state;
  }

  /** Change the ring size (config reload); the newest events are kept. */
  resizeRing(size: number): void {
    if (size === this.ring.capacity) return;
    const keep = this.ring.from(Math.max(0, this.ring.size - size));
    this.ring = new Ring(size);
    for (const e of keep) this.ring.push(e);
  }

  onEvent(listener: EventListener): void {
    this.listeners.push(listener);
  }

  /** Replace the node state; publishes the difference. Returns the published events. */
  setState(next: NodeState): StampedEvent[] {
    const bodies = diffStates(this.state, next);
    this.state = next;
    return this.publish(bodies);
  }

  /**
   * A journal line from an agent: published as an `agent` event, remembered for snapshots. A refusal or
   * an override is also published (and remembered) as the instance's last refusal / override.
   */
  recordAgent(line: JournalLine): StampedEvent {
    const id = agentId(line);
    const bodies = [agentEvent(line, this.agents.has(id))];
    this.agents.set(id, line);
    const kind = notableKind(line);
    if (kind !== undefined) {
      const nid = notableId(line, kind);
      bodies.push(notableEvent(line, kind, this.notable.has(nid) ? "change" : "create"));
      this.notable.set(nid, line);
    }
    return this.publish(bodies)[0] as StampedEvent;
  }

  /** Remember an agent's last record without publishing (journal lines read at daemon start). */
  primeAgent(line: JournalLine): void {
    this.agents.set(agentId(line), line);
    const kind = notableKind(line);
    if (kind !== undefined) this.notable.set(notableId(line, kind), line);
  }

  control(type: ControlFrame["type"], extra: { reason?: string; count?: number } = {}): string {
    const frame: ControlFrame = { v: PROTOCOL_VERSION, epoch: this.epoch, seq: this.seq, ts: this.now().toISOString(), node: this.node, type, ...extra };
    return JSON.stringify(frame);
  }

  private stamp(body: EventBody, seq: number, ts: string): EventFrame {
    return { v: PROTOCOL_VERSION, epoch: this.epoch, seq, ts, node: this.node, ...body };
  }

  private publish(bodies: readonly EventBody[]): StampedEvent[] {
    if (bodies.length === 0) return [];
    const ts = this.now().toISOString();
    const out: StampedEvent[] = [];
    for (const body of bodies) {
      this.seq += 1;
      const frame = this.stamp(body, this.seq, ts);
      const stamped = { frame, text: JSON.stringify(frame) };
      this.ring.push(stamped);
      out.push(stamped);
    }
    for (const e of out) for (const l of this.listeners) l(e);
    return out;
  }

  /** Frames of a full snapshot: snapshot-begin, one `exists` per entity, agent and agent's last refusal/override, snapshot-end. */
  snapshotFrames(reason: string): string[] {
    const ts = this.now().toISOString();
    const notable = [...this.notable.values()].flatMap((l) => {
      const kind = notableKind(l);
      return kind === undefined ? [] : [notableEvent(l, kind, "exists")];
    });
    const bodies = [...snapshotEvents(this.state), ...[...this.agents.values()].map(agentExists), ...notable];
    return [
      this.control("snapshot-begin", { reason, count: bodies.length }),
      ...bodies.map((b) => JSON.stringify(this.stamp(b, this.seq, ts))),
      this.control("snapshot-end", { count: bodies.length }),
    ];
  }

  /**
   * What a client that last saw `since` needs: the events after it when the ring still holds all of
   * them, else a snapshot, with the reason.
   */
  opening(since: { epoch: string; seq: number } | undefined): Opening {
    const snapshot = (reason: string): Opening => ({ mode: "snapshot", reason, frames: this.snapshotFrames(reason) });
    if (since === undefined) return snapshot("new subscriber");
    if (since.epoch !== this.epoch) return snapshot(`epoch ${since.epoch} is not this daemon's (${this.epoch}): daemon restarted`);
    if (since.seq > this.seq) return snapshot(`seq ${since.seq} is ahead of the daemon's ${this.seq}`);
    const oldest = this.ring.oldest()?.frame.seq ?? this.seq + 1;
    if (since.seq + 1 < oldest) return snapshot(`events after ${since.seq} are no longer in the ring (oldest kept: ${oldest})`);
    const missed = this.ring.from(this.ring.size - (this.seq - since.seq)).map((e) => e.text);
    return {
      mode: "replay",
      frames: [this.control("replay-begin", { count: missed.length }), ...missed, this.control("replay-end", { count: missed.length })],
    };
  }
}
