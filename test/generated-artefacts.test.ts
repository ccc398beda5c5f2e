import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ARTEFACTS } from "../src/app/artefacts.js";

describe("generated artefacts", () => {
  for (const artefact of ARTEFACTS)
    it(`${artefact.path} matches what ${artefact.source} generates`, () => {
      const committed = readFileSync(artefact.path, "utf8");
      const generated = artefact.render();
      if (committed === generated) return;
      const lines = committed.split("\n");
      const at = generated.split("\n").findIndex((line, i) => line !== lines[i]);
      assert.fail(`${artefact.path} is out of date from line ${at + 1}: run npm run generate and commit the result`);
    });
});
