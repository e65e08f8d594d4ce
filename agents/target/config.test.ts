import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultScsiIdentity, isIscsiName, parseInitiatorRule, parseTargetConfig, targetConfPath } from "./config.js";

const GOOD = [
  "backing_device = /dev/disk/by-path/virtio-pci-0000:00:03.0",
  "iqn = iqn.2024-01.lab.pmslab:node3.data",
  "cluster_iscsi_addresses = 10.99.0.11 10.99.0.12, 10.99.0.13",
  "managed_uuid = fe26dedf:8930648b:a5a71d3f:48409ac0",
].join("\n");

const errorsOf = (text: string): string[] => {
  const r = parseTargetConfig(text, "target.conf");
  return r.ok ? [] : [...r.errors];
};

describe("parseTargetConfig", () => {
  it("a minimal file: defaults filled in, allowed initiators = the cluster's iSCSI addresses", () => {
    const r = parseTargetConfig(GOOD);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      backingDevice: "/dev/disk/by-path/virtio-pci-0000:00:03.0",
      tid: 1,
      lun: 1,
      managedUuid: "fe26dedf8930648ba5a71d3f48409ac0",
      chap: undefined,
      mdAutoassemblyBlock: "ignore-uuid",
      refreshInitramfs: true,
      maskLastResort: true,
      udevSettleTimeoutS: 10,
      startTimeoutS: 90,
    });
    expect(r.config.allowedInitiators.map((a) => a.value)).toEqual(["10.99.0.11", "10.99.0.12", "10.99.0.13"]);
    expect(r.config.scsiId).toBe("pmsapp-node3.data");
    expect(r.config.scsiSn).toMatch(/^pmsapp[0-9a-f]{8}$/);
  });

  it("allowed_initiators overrides the cluster addresses and accepts names and networks", () => {
    const r = parseTargetConfig(`${GOOD}\nallowed_initiators = iqn.2024-01.lab.pmslab:node1, 10.99.0.0/24`);
    expect(r.ok && r.config.allowedInitiators).toEqual([
      { kind: "name", value: "iqn.2024-01.lab.pmslab:node1" },
      { kind: "address", value: "10.99.0.0/24" },
    ]);
  });

  it("the shipped default file is valid except for what the operator must fill in", () => {
    const shipped = readFileSync(fileURLToPath(new URL("../../packaging/config/target.conf", import.meta.url)), "utf8");
    const errors = errorsOf(shipped);
    expect(errors.join("\n")).toMatch(/backing_device is required/);
    expect(errors.join("\n")).toMatch(/managed_uuid is required/);
    expect(errors.join("\n")).not.toMatch(/unknown key/);
  });

  it.each([
    ["bare device", GOOD.replace("/dev/disk/by-path/virtio-pci-0000:00:03.0", "/dev/vdb"), /not a stable path/],
    ["device with a comma", GOOD.replace("virtio-pci-0000:00:03.0", "x,path=/dev/sda"), /not a stable path/],
    ["IQN with shell characters", GOOD.replace("node3.data", "node3;reboot"), /iqn 'iqn.2024-01.lab.pmslab:node3;reboot' is not a valid iSCSI name/],
    ["IQN upper case", GOOD.replace("node3.data", "Node3"), /not a valid iSCSI name/],
    ["ALL", `${GOOD}\nallowed_initiators = ALL`, /ALL is refused/],
    ["junk initiator", `${GOOD}\nallowed_initiators = 10.99.0.11 $(reboot)`, /neither an IP address/],
    ["no initiators at all", GOOD.replace(/cluster_iscsi_addresses.*\n/, ""), /set cluster_iscsi_addresses/],
    ["CHAP half set", `${GOOD}\nchap_user = pmsapp`, /chap_user and chap_password go together/],
    ["CHAP short secret", `${GOOD}\nchap_user = pmsapp\nchap_password = short`, /at least 12 characters/],
    ["CHAP secret with a comma", `${GOOD}\nchap_user = pmsapp\nchap_password = "secretsecret,x=1"`, /may not contain commas/],
    ["bad uuid", GOOD.replace("fe26dedf:8930648b:a5a71d3f:48409ac0", "fe26dedf"), /managed_uuid 'fe26dedf' is not an md array UUID/],
    ["LUN 0", `${GOOD}\nlun = 0`, /lun .* between 1 and 255/],
    ["unknown key", `${GOOD}\nbacking_store = /dev/vdb`, /unknown key\(s\) 'backing_store'/],
    ["syntax", `${GOOD}\nthis is not a line`, /expected 'key = value'/],
    ["portal with a comma", `${GOOD}\nportal = 10.99.0.11:3260,x`, /portal '10.99.0.11:3260,x' must be an IPv4 address/],
    ["scsi_sn with punctuation", `${GOOD}\nscsi_sn = a-b`, /scsi_sn may only contain/],
  ])("refuses %s with a message naming the problem", (_what, text, message) => {
    expect(errorsOf(text).join("\n")).toMatch(message);
  });

  it("portal: address with the default or a given port", () => {
    const a = parseTargetConfig(`${GOOD}\nportal = 10.99.0.13`);
    expect(a.ok && a.config.portal).toEqual({ address: "10.99.0.13", port: 3260 });
    const b = parseTargetConfig(`${GOOD}\nportal = 10.99.0.13:3261`);
    expect(b.ok && b.config.portal).toEqual({ address: "10.99.0.13", port: 3261 });
  });

  it("CHAP both set", () => {
    const r = parseTargetConfig(`${GOOD}\nchap_user = pmsapp\nchap_password = secretsecret12`);
    expect(r.ok && r.config.chap).toEqual({ user: "pmsapp", password: "secretsecret12" });
  });
});

describe("names and rules", () => {
  it("iSCSI names per RFC 3720", () => {
    expect(isIscsiName("iqn.2024-01.lab.pmslab:node1.data")).toBe(true);
    expect(isIscsiName("iqn.2012-03.org.pmsapp:pmsapp1.disk")).toBe(true);
    expect(isIscsiName("eui.02004567a425678d")).toBe(true);
    expect(isIscsiName("iqn.2024-13.lab:x")).toBe(false);
    expect(isIscsiName("iqn.2024-01.lab:x y")).toBe(false);
    expect(isIscsiName("iqn.2024-01.lab:`id`")).toBe(false);
  });
  it("initiator rules", () => {
    expect(parseInitiatorRule("fd00::11")).toEqual({ kind: "address", value: "fd00::11" });
    expect(parseInitiatorRule("10.99.0.0/33")).toMatch(/neither/);
    expect(parseInitiatorRule("all")).toMatch(/ALL is refused/);
  });
  it("per-node SCSI identity differs between nodes", () => {
    const a = defaultScsiIdentity("iqn.2024-01.lab.pmslab:node1.data");
    const b = defaultScsiIdentity("iqn.2024-01.lab.pmslab:node2.data");
    expect(a.scsiSn).not.toBe(b.scsiSn);
    expect(a.scsiId).not.toBe(b.scsiId);
  });
  it("PMSAPP_TARGET_CONF overrides the path", () => {
    expect(targetConfPath({ PMSAPP_TARGET_CONF: "/tmp/t.conf" })).toBe("/tmp/t.conf");
    expect(targetConfPath({})).toBe("/etc/pmsapp/target.conf");
  });
});
