/** The parts of the untyped `net-snmp` package this adapter and its tests use. */
declare module "net-snmp" {
  import type { Socket } from "node:dgram";

  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }

  export interface UserOptions {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }

  export interface SessionOptions {
    port?: number;
    trapPort?: number;
    retries?: number;
    timeout?: number;
    version?: number;
    engineID?: string | Buffer;
    transport?: "udp4" | "udp6";
    sourceAddress?: string;
    backwardsGetNexts?: boolean;
    idBitsSize?: number;
  }

  export interface Session {
    trap(
      typeOrOid: string | number,
      varbinds: Varbind[],
      options: { agentAddr?: string; upTime?: number },
      callback: (error: Error | null) => void,
    ): Session;
    inform(
      typeOrOid: string | number,
      varbinds: Varbind[],
      options: { upTime?: number },
      callback: (error: Error | null, varbinds?: Varbind[]) => void,
    ): Session;
    get(oids: string[], callback: (error: Error | null, varbinds?: Varbind[]) => void): void;
    close(): void;
    on(event: "error", listener: (error: Error) => void): void;
    dgram?: Socket;
  }

  export function createSession(target: string, community: string, options?: SessionOptions): Session;
  export function createV3Session(target: string, user: UserOptions, options?: SessionOptions): Session;

  export const Version1: number;
  export const Version2c: number;
  export const Version3: number;
  export const ObjectType: Record<string, number>;
  export const SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
  export const AuthProtocols: Record<string, number>;
  export const PrivProtocols: Record<string, number>;

  export const Authentication: {
    passwordToKey(authProtocol: number, password: string, engineID: Buffer): Buffer;
    algorithms: Record<number, { KEY_LENGTH: number; AUTHENTICATION_CODE_LENGTH: number; CRYPTO_ALGORITHM: string }>;
  };
  export const Encryption: {
    algorithms: Record<
      number,
      {
        CRYPTO_ALGORITHM: string;
        KEY_LENGTH: number;
        BLOCK_LENGTH: number;
        localizationAlgorithm(
          algorithm: { KEY_LENGTH: number },
          authProtocol: number,
          privPassword: string,
          engineID: Buffer,
        ): Buffer;
      }
    >;
  };

  export interface ModuleStore {
    loadFromFile(path: string): void;
    getModule(name: string): Record<string, MibDefinition>;
    getModuleNames(includeBase?: boolean): string[];
  }
  export interface MibDefinition {
    ObjectName?: string;
    MACRO?: string;
    OID?: string;
    SYNTAX?: unknown;
    "MAX-ACCESS"?: string;
    OBJECTS?: unknown;
    INDEX?: unknown;
  }
  export function createModuleStore(): ModuleStore;

  const snmp: {
    createSession: typeof createSession;
    createV3Session: typeof createV3Session;
    createModuleStore: typeof createModuleStore;
    Version1: number;
    Version2c: number;
    Version3: number;
    ObjectType: Record<string, number>;
    SecurityLevel: { noAuthNoPriv: number; authNoPriv: number; authPriv: number };
    AuthProtocols: Record<string, number>;
    PrivProtocols: Record<string, number>;
    Authentication: typeof Authentication;
    Encryption: typeof Encryption;
  };
  export default snmp;
}
