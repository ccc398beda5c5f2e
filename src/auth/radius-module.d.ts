/** The parts of the untyped `radius` package we use: packet encoding and attribute decoding only. */
declare module "radius" {
  export interface RadiusPacket {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    /** Every top-level attribute as [type, value] in wire order. */
    raw_attributes: [number, Buffer][];
  }
  export interface EncodeArgs {
    code: string;
    secret: string;
    identifier?: number;
    authenticator?: Buffer;
    attributes?: (readonly [string | number, string | number | Buffer])[];
    add_message_authenticator?: boolean;
  }
  const radius: {
    encode(args: EncodeArgs): Buffer;
    encode_response(args: { packet: RadiusPacket; code: string; secret: string; attributes?: unknown[] }): Buffer;
    decode(args: { packet: Buffer; secret: string; no_secret?: boolean }): RadiusPacket;
  };
  export default radius;
}
