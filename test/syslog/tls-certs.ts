import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestCertificates {
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: "pipe" });
}

/** A throw-away CA with a server certificate for 127.0.0.1/localhost and a client certificate, made by openssl. */
export function makeTestCertificates(dir: string): TestCertificates {
  const p = (name: string) => join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=bmsgw test CA",
  ]);
  writeFileSync(p("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(p("client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subject] of [
    ["server", "/CN=localhost"],
    ["client", "/CN=bmsgw-client"],
  ] as const) {
    openssl(["req", ...ec, "-keyout", p(`${name}.key`), "-out", p(`${name}.csr`), "-subj", subject]);
    openssl([
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.pem"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-out",
      p(`${name}.pem`),
      "-days",
      "2",
      "-extfile",
      p(`${name}.ext`),
    ]);
  }
  return {
    caFile: p("ca.pem"),
    serverCertFile: p("server.pem"),
    serverKeyFile: p("server.key"),
    clientCertFile: p("client.pem"),
    clientKeyFile: p("client.key"),
  };
}
