import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stockAgents } from "./cluster-schema.js";
import { REPO_ROOT } from "./paths.js";
import { ruleFromMetadata, type ResourceRule } from "./resource-rules.js";
import { serviceOrder } from "./tree-order.js";

const rules: ResourceRule[] = stockAgents().map((a) => {
  const r = ruleFromMetadata(a.metadata);
  if (!r.ok) throw new Error(r.reasons.join("; "));
  return r.rule;
});
const guide2 = readFileSync(join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf", "guide-2node.conf"), "utf8");

describe("serviceOrder (rgmanager's tree order)", () => {
  it("reproduces the contract's order for the guide's service (§4.1): the IP first, the script by level 9, its children in document order", () => {
    expect(serviceOrder(guide2, rules, "clusvc")).toEqual({
      start: ["service:clusvc", "ip:192.168.0.20", "script:swraid", "fs:sharedvol", "nfsexport:sharednfs", "nfsclient:nfsclients"],
      stop: ["nfsclient:nfsclients", "nfsexport:sharednfs", "fs:sharedvol", "script:swraid", "ip:192.168.0.20", "service:clusvc"],
    });
  });

  it("puts fs and nfs* directly under the service in the stock levels (ip after nfsclient on start, before it on stop)", () => {
    const flat = guide2
      .replace('      <script file="/etc/init.d/swraid" name="swraid">\n', "")
      .replace("      </script>\n", "");
    expect(serviceOrder(flat, rules, "clusvc")).toEqual({
      start: ["service:clusvc", "fs:sharedvol", "nfsexport:sharednfs", "nfsclient:nfsclients", "ip:192.168.0.20"],
      stop: ["ip:192.168.0.20", "nfsclient:nfsclients", "nfsexport:sharednfs", "fs:sharedvol", "service:clusvc"],
    });
  });

  it("drops an element without a rule together with everything nested under it", () => {
    const unknown = guide2.replace("<script ", "<pmsapp-raid ").replace("</script>", "</pmsapp-raid>");
    expect(serviceOrder(unknown, rules, "clusvc").start).toEqual(["service:clusvc", "ip:192.168.0.20"]);
  });
});
