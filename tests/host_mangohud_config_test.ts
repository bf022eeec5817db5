import assert from "node:assert/strict";
import { mangohudConfigFile, mangohudLogFolder } from "../lib/host/mangohud_config.ts";
import { tempDir } from "./fixtures/temp.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("the output_folder of the player's MangoHud config, ~ expanded, comments ignored", () => {
  const home = tempDir();
  Deno.mkdirSync(`${home}/.config/MangoHud`, { recursive: true });
  Deno.writeTextFileSync(
    `${home}/.config/MangoHud/MangoHud.conf`,
    "fps\n# output_folder=/nope\noutput_folder=~/logs # mine\n",
  );
  assert.equal(mangohudLogFolder({ env: env({ HOME: home }) }), `${home}/logs`);
});

Deno.test("through sudo the sudo user's home is used, from the passwd file", () => {
  const home = tempDir(), etc = tempDir();
  Deno.writeTextFileSync(
    `${etc}/passwd`,
    `root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::${home}:/bin/sh\n`,
  );
  assert.equal(
    mangohudConfigFile({ env: env({ SUDO_USER: "alice", HOME: "/root" }), etc }),
    `${home}/.config/MangoHud/MangoHud.conf`,
  );
});

Deno.test("no config, or a config without output_folder, is no folder", () => {
  const home = tempDir();
  assert.equal(mangohudLogFolder({ env: env({ HOME: home }) }), null);
  Deno.mkdirSync(`${home}/.config/MangoHud`, { recursive: true });
  Deno.writeTextFileSync(`${home}/.config/MangoHud/MangoHud.conf`, "fps\n");
  assert.equal(mangohudLogFolder({ env: env({ HOME: home }) }), null);
  assert.equal(mangohudConfigFile({ env: env({ MANGOHUD_CONFIGFILE: "/x.conf" }) }), "/x.conf");
});
