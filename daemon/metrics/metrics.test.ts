import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import { DaemonMetrics } from "./metrics.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const lines = async (m: DaemonMetrics, name: string) => (await m.render()).body.split("\n").filter((l) => l.startsWith(name + "{") || l.startsWith(name + " "));

describe("metrics from captured states", () => {
  it("member faulty: the faulty member has slot none, slot 1 shows removed, node2's session FREE", async () => {
    const m = new DaemonMetrics("node1", "e1", false);
    m.setState(spike("raid1-member-faulty"));
    expect(await lines(m, "pmsapp_md_member_state")).toEqual([
      'pmsapp_md_member_state{array="md127",slot="0",member="sdc",state="in_sync"} 1',
      'pmsapp_md_member_state{array="md127",slot="none",member="sdb",state="faulty"} 1',
      'pmsapp_md_member_state{array="md127",slot="1",member="",state="removed"} 1',
    ]);
    expect(await lines(m, "pmsapp_iscsi_session_state")).toContain('pmsapp_iscsi_session_state{target="iqn.2024-01.lab.pmslab:node2.data",portal="10.99.0.12:3260",state="FREE"} 1');
  });

  it("recovering: sync action recover and progress ratio; healthy afterwards drops the progress series", async () => {
    const m = new DaemonMetrics("node1", "e1", false);
    m.setState(spike("raid1-recovering"));
    expect(await lines(m, "pmsapp_md_sync_action")).toEqual(['pmsapp_md_sync_action{array="md127",action="recover"} 1']);
    const [progress] = await lines(m, "pmsapp_md_sync_progress_ratio");
    expect(Number(progress?.split(" ")[1])).toBeCloseTo(55296 / 522240, 6);
    expect(await lines(m, "pmsapp_md_member_state")).toContain('pmsapp_md_member_state{array="md127",slot="1",member="sdb",state="recovering"} 1');
    m.setState(spike("raid1-healthy"));
    expect(await lines(m, "pmsapp_md_sync_progress_ratio")).toEqual([]);
    expect(await lines(m, "pmsapp_md_sync_action")).toEqual(['pmsapp_md_sync_action{array="md127",action="idle"} 1']);
  });

  it("tgt: initiators per LUN; boot-autoassembled exports only LUN 0", async () => {
    const m = new DaemonMetrics("node1", "e1", false);
    m.setState(spike("raid1-healthy"));
    expect(await lines(m, "pmsapp_tgt_lun_initiators")).toContain('pmsapp_tgt_lun_initiators{target="iqn.2024-01.lab.pmslab:node1.data",lun="1",backing_store="/dev/vdb"} 1');
    m.setState(spike("boot-autoassembled"));
    expect((await lines(m, "pmsapp_tgt_lun_initiators")).map((l) => /lun="(\d+)"/.exec(l)?.[1])).toEqual(["0"]);
  });

  it("agent journal lines count actions, decisions and durations", async () => {
    const m = new DaemonMetrics("node1", "e1", false);
    const base = { time: "2026-11-24T17:00:00.000Z", agent: "raid", instance: "md", action: "start" };
    m.agent({ ...base, kind: "decision", decision: "assemble" });
    m.agent({ ...base, kind: "action-end", rc: 0, durationMs: 1500 });
    m.agent({ ...base, kind: "action-end", rc: 1, durationMs: 200 });
    expect(await lines(m, "pmsapp_agent_actions_total")).toEqual([
      'pmsapp_agent_actions_total{agent="raid",action="start",rc="0"} 1',
      'pmsapp_agent_actions_total{agent="raid",action="start",rc="1"} 1',
    ]);
    expect(await lines(m, "pmsapp_agent_decisions_total")).toEqual(['pmsapp_agent_decisions_total{agent="raid",decision="assemble"} 1']);
    expect(await lines(m, "pmsapp_agent_action_duration_seconds_count")).toEqual(['pmsapp_agent_action_duration_seconds_count{agent="raid",action="start"} 2']);
  });

  it("process metrics carry the pmsapp_ prefix and no node_md_ series are exported", async () => {
    const m = new DaemonMetrics("node1", "e1", true);
    m.setState(spike("raid1-healthy"));
    const body = (await m.render()).body;
    expect(body).toContain("pmsapp_process_resident_memory_bytes");
    expect(body).not.toMatch(/^node_md_/m);
  });
});
