/**
 * Prometheus metrics of pmsappd (prom-client, private registry, prefix `pmsapp_`). node_exporter's
 * mdadm collector already exports node_md_state/disks/blocks/degraded; these are what only the daemon
 * knows: per-slot member condition including removed and faulty slots, sync action and progress, iSCSI
 * session state per target, initiators connected per tgt LUN, agent actions, and the stream itself.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { JournalLine } from "../model/agent-events.js";
import type { EventFrame } from "../model/events.js";
import { emptySlots, memberCondition, sessionAttrs, type NodeState } from "../model/state.js";
import type { ServerObserver } from "../server/ws-server.js";

export class DaemonMetrics implements ServerObserver {
  readonly registry = new Registry();
  private readonly memberState: Gauge;
  private readonly syncAction: Gauge;
  private readonly syncProgress: Gauge;
  private readonly sessionState: Gauge;
  private readonly lunInitiators: Gauge;
  private readonly eventsTotal: Counter;
  private readonly lastEvent: Gauge;
  private readonly agentActions: Counter;
  private readonly agentDecisions: Counter;
  private readonly agentDuration: Histogram;
  private readonly streamClients: Gauge;
  private readonly streamClosed: Counter;
  private readonly streamRefused: Counter;
  private readonly sourceErrors: Counter;

  constructor(node: string, epoch: string, withProcessMetrics = true) {
    const r = [this.registry];
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: "pmsapp_" });
    new Gauge({ name: "pmsapp_info", help: "pmsappd on this node; epoch is the daemon-start id of the event stream", labelNames: ["node", "epoch"], registers: r }).set({ node, epoch }, 1);
    this.memberState = new Gauge({
      name: "pmsapp_md_member_state",
      help: "1 for each md array slot and its condition: in_sync, recovering, spare, faulty (slot none), removed (no member in the slot)",
      labelNames: ["array", "slot", "member", "state"],
      registers: r,
    });
    this.syncAction = new Gauge({ name: "pmsapp_md_sync_action", help: "1 for the current md sync_action (idle, resync, recover, check, repair, reshape, frozen)", labelNames: ["array", "action"], registers: r });
    this.syncProgress = new Gauge({ name: "pmsapp_md_sync_progress_ratio", help: "Progress of the running resync/recovery (sync_completed), 0..1; absent when idle", labelNames: ["array", "action"], registers: r });
    this.sessionState = new Gauge({ name: "pmsapp_iscsi_session_state", help: "1 for each iSCSI initiator session and its kernel state (LOGGED_IN, FAILED, FREE ...)", labelNames: ["target", "portal", "state"], registers: r });
    this.lunInitiators = new Gauge({ name: "pmsapp_tgt_lun_initiators", help: "Initiators connected (I_T nexuses) to the tgt target of each LUN", labelNames: ["target", "lun", "backing_store"], registers: r });
    this.eventsTotal = new Counter({ name: "pmsapp_events_total", help: "Events published by this daemon", labelNames: ["kind", "type"], registers: r });
    this.lastEvent = new Gauge({ name: "pmsapp_last_event_timestamp_seconds", help: "Time of the last published event", registers: r });
    this.agentActions = new Counter({ name: "pmsapp_agent_actions_total", help: "Agent actions finished, from the agents' journal", labelNames: ["agent", "action", "rc"], registers: r });
    this.agentDecisions = new Counter({ name: "pmsapp_agent_decisions_total", help: "Agent decisions, from the agents' journal", labelNames: ["agent", "decision"], registers: r });
    this.agentDuration = new Histogram({
      name: "pmsapp_agent_action_duration_seconds",
      help: "Duration of finished agent actions, from the agents' journal",
      labelNames: ["agent", "action"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120],
      registers: r,
    });
    this.streamClients = new Gauge({ name: "pmsapp_stream_clients", help: "Connected event stream clients", registers: r });
    this.streamClosed = new Counter({ name: "pmsapp_stream_clients_closed_total", help: "Clients closed by the daemon: slow (1013), protocol (bad frame), read-only (sent a message), silent (no pong)", labelNames: ["reason"], registers: r });
    this.streamRefused = new Counter({ name: "pmsapp_stream_refused_total", help: "Connections refused before the upgrade: auth, full, bad-request, not-found", labelNames: ["reason"], registers: r });
    this.sourceErrors = new Counter({ name: "pmsapp_source_errors_total", help: "Failed reads of a state source (tgtadm, journal)", labelNames: ["source"], registers: r });
  }

  /** Re-derive the state gauges from the node state (gauges of vanished things disappear). */
  setState(state: NodeState): void {
    this.memberState.reset();
    this.syncAction.reset();
    this.syncProgress.reset();
    this.sessionState.reset();
    this.lunInitiators.reset();
    for (const a of state.arrays) {
      for (const m of a.members) {
        this.memberState.set({ array: a.name, slot: m.slot === null ? "none" : String(m.slot), member: m.name, state: memberCondition(m, a) }, 1);
      }
      for (const slot of emptySlots(a)) this.memberState.set({ array: a.name, slot: String(slot), member: "", state: "removed" }, 1);
      if (a.syncAction !== undefined) this.syncAction.set({ array: a.name, action: a.syncAction }, 1);
      if (a.syncProgress !== undefined) this.syncProgress.set({ array: a.name, action: a.syncAction ?? "" }, a.syncProgress.done / a.syncProgress.total);
    }
    for (const s of state.sessions) {
      const attrs = sessionAttrs(s);
      this.sessionState.set({ target: s.target, portal: String(attrs.portal ?? ""), state: s.state }, 1);
    }
    for (const t of state.targets) {
      for (const l of t.luns) this.lunInitiators.set({ target: t.iqn, lun: String(l.lun), backing_store: l.backingStore ?? "" }, t.nexuses.length);
    }
  }

  event(frame: EventFrame): void {
    this.eventsTotal.inc({ kind: frame.kind, type: frame.type });
    this.lastEvent.set(Date.parse(frame.ts) / 1000);
  }

  agent(line: JournalLine): void {
    if (line.kind === "decision" && line.decision !== undefined) this.agentDecisions.inc({ agent: line.agent, decision: line.decision });
    if (line.kind !== "action-end") return;
    this.agentActions.inc({ agent: line.agent, action: line.action, rc: line.rc === undefined ? "" : String(line.rc) });
    if (line.durationMs !== undefined) this.agentDuration.observe({ agent: line.agent, action: line.action }, line.durationMs / 1000);
  }

  sourceError(source: string): void {
    this.sourceErrors.inc({ source });
  }

  clients(count: number): void {
    this.streamClients.set(count);
  }
  closed(reason: "slow" | "protocol" | "silent" | "read-only"): void {
    this.streamClosed.inc({ reason });
  }
  refused(reason: "auth" | "full" | "bad-request" | "not-found"): void {
    this.streamRefused.inc({ reason });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
