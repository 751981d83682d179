import type { IpamMessages } from './ipam-messages.js';
import type { NetworkMessages } from './network-messages.js';
import type { VolumeMessages } from './volume-messages.js';

export type { VolumeInfo } from './volume-messages.js';
export type { IpamData, EndpointInterface } from './network-messages.js';

/** Every method a reference plugin can implement, with its request and response shapes. */
export type PluginMessages = VolumeMessages & NetworkMessages & IpamMessages;
export type PluginMethodName = keyof PluginMessages;
export type RequestOf<M extends PluginMethodName> = PluginMessages[M]['req'];
export type ResponseOf<M extends PluginMethodName> = PluginMessages[M]['res'];

/** A typed handler object: one async function per implemented method, keyed by `<Type>.<Method>`. */
export type PluginHandlers = {
  [M in PluginMethodName]?: (req: RequestOf<M>) => Promise<ResponseOf<M>>;
};
