/** The slice of the (untyped) bacstack client the tests use. bacstack is a test-only, independent BACnet client. */
declare module "bacstack" {
  namespace Bacnet {
    interface ObjectId {
      type: number;
      instance: number;
    }
    interface AppData {
      type: number;
      value: unknown;
    }
    interface ReadResult {
      objectId: ObjectId;
      property: { id: number; index: number };
      values: AppData[];
    }
    interface RpmResult {
      values: { objectId: ObjectId; values: { id: number; index: number; value: AppData[] }[] }[];
    }
    interface Options {
      maxSegments?: number;
      maxApdu?: number;
      arrayIndex?: number;
      priority?: number;
    }
    type Callback<T> = (error: Error | null, value: T) => void;
  }
  class Bacnet {
    constructor(options: { port: number; interface: string; adpuTimeout?: number; broadcastAddress?: string });
    on(event: string, listener: (payload: never) => void): this;
    whoIs(options?: { lowLimit?: number; highLimit?: number; address?: string }): void;
    readProperty(
      address: string,
      objectId: Bacnet.ObjectId,
      propertyId: number,
      options: Bacnet.Options,
      next: Bacnet.Callback<Bacnet.ReadResult>,
    ): void;
    readPropertyMultiple(
      address: string,
      properties: { objectId: Bacnet.ObjectId; properties: { id: number; index?: number }[] }[],
      options: Bacnet.Options,
      next: Bacnet.Callback<Bacnet.RpmResult>,
    ): void;
    writeProperty(
      address: string,
      objectId: Bacnet.ObjectId,
      propertyId: number,
      values: Bacnet.AppData[],
      options: Bacnet.Options,
      next: Bacnet.Callback<unknown>,
    ): void;
    subscribeCOV(
      address: string,
      objectId: Bacnet.ObjectId,
      subscribeId: number,
      cancel: boolean,
      issueConfirmedNotifications: boolean,
      lifetime: number,
      options: Bacnet.Options,
      next: (error: Error | null) => void,
    ): void;
    readRange(
      address: string,
      objectId: Bacnet.ObjectId,
      idxBegin: number,
      quantity: number,
      options: Bacnet.Options,
      next: Bacnet.Callback<unknown>,
    ): void;
    simpleAckResponse(receiver: string, service: number, invokeId: number): void;
    close(): void;
  }
  export = Bacnet;
}
