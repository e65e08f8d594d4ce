/**
 * The assembled cluster.rng with only the stock agents: the guide's ORIGINAL cluster.conf files (with
 * <script file="/etc/init.d/swraid">) must validate, as `ccs_config_validate` said in the guide, and
 * known-bad variants must fail. This pins the generator before it is used on pmsapp-raid.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildClusterRng, orderLikeCcsUpdateSchema, stockAgents, type AgentMetadata } from "./cluster-schema.js";
import { REPO_ROOT, SHARED_ROOT } from "./paths.js";
import { validWithRelaxng, wellFormed } from "./xmllint.js";

const confDir = join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf");
const guide2 = readFileSync(join(confDir, "guide-2node.conf"), "utf8");
const guide3 = readFileSync(join(confDir, "guide-3node.conf"), "utf8");
const stockRng = buildClusterRng(stockAgents());

function edit(text: string, from: string, to: string): string {
  if (text.split(from).length !== 2) throw new Error(`expected exactly one ${from} in the sample`);
  return text.replace(from, to);
}

describe("fixtures are the guide's text", () => {
  it("guide-2node.conf and guide-3node.conf appear verbatim in shared/seed/install-guide.txt", () => {
    const guide = readFileSync(join(SHARED_ROOT, "seed", "install-guide.txt"), "utf8");
    expect(guide).toContain(guide2);
    expect(guide).toContain(guide3);
    expect(guide2).toContain('<script file="/etc/init.d/swraid" name="swraid">');
    expect(guide3).toContain('<clusternode name="pmsapp3" nodeid="3">');
  });
});

describe("cluster.rng from the reference pieces and the stock agents", () => {
  it("orders agents like ccs_update_schema: sorted, service first", () => {
    expect(stockAgents().map((a) => a.source)).toEqual(["service", "fs", "ip", "nfsclient", "nfsexport", "script", "vm"]);
  });

  it("is well-formed (the check ccs_update_schema makes before installing it)", () => {
    expect(wellFormed(stockRng)).toMatchObject({ ok: true });
  });

  it.each([
    ["2-node", guide2],
    ["3-node", guide3],
  ])("validates the guide's original %s cluster.conf", (_n, conf) => {
    const r = validWithRelaxng(stockRng, conf);
    expect(r.messages).toMatch(/validates$/);
    expect(r.ok).toBe(true);
  });

  const bad: Array<[string, string]> = [
    ["script without file (required)", edit(guide2, ' file="/etc/init.d/swraid"', "")],
    ["script without name (primary)", edit(guide2, ' name="swraid"', "")],
    ["an attribute script does not declare", edit(guide2, 'name="swraid">', 'name="swraid" degraded="safe">')],
    ["fs without mountpoint (required)", edit(guide2, ' mountpoint="/sharedstorage"', "")],
    ["ref= together with a parameter", edit(guide2, '<script file="/etc/init.d/swraid" name="swraid">', '<script ref="swraid" file="/etc/init.d/swraid">')],
    ["an element no agent defines (pmsapp-raid without its meta-data)", edit(edit(guide2, '<script file="/etc/init.d/swraid" name="swraid">', '<pmsapp-raid name="r" uuid="u" targets="t">'), "</script>", "</pmsapp-raid>")],
    ["a resource directly under <rm>", edit(guide2, "  </rm>", '    <ip address="192.168.0.21"/>\n  </rm>')],
  ];
  it.each(bad)("rejects %s", (_what, conf) => {
    const r = validWithRelaxng(stockRng, conf);
    expect(r.ok).toBe(false);
    expect(r.messages).toMatch(/fails to validate/);
  });
});

describe("schemas that break every validation, as on a real node", () => {
  const withAgent = (metadata: string): AgentMetadata[] => orderLikeCcsUpdateSchema([...stockAgents(), { source: "zz-custom", metadata }]);
  const script = readFileSync(join(SHARED_ROOT, "reference", "rgmanager", "agents-metadata", "script.xml"), "utf8");

  it('a `"` in an agent shortdesc makes cluster.rng malformed', () => {
    const rng = buildClusterRng(withAgent(script.replace('name="script"', 'name="custom"').replace("LSB-compliant init script as a clustered resource.", 'A "quoted" script.')));
    expect(wellFormed(rng).ok).toBe(false);
    expect(validWithRelaxng(rng, guide2)).toMatchObject({ ok: false, exitCode: 5 });
  });

  it("an agent whose name collides with an existing define after translate() stops the schema compiling", () => {
    const rng = buildClusterRng(withAgent(script.replace('name="script"', 'name="Script"')));
    expect(wellFormed(rng).ok).toBe(true);
    const r = validWithRelaxng(rng, guide2);
    expect(r).toMatchObject({ ok: false, exitCode: 5 });
    expect(r.messages).toMatch(/Some defines for SCRIPT needs the combine attribute/);
  });

  it("an agent whose meta-data does not parse contributes nothing: the schema stays valid", () => {
    const rng = buildClusterRng(withAgent("\n" + script.replace('name="script"', 'name="custom"')));
    expect(rng).toBe(stockRng);
  });
});
