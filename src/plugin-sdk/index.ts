export { startPluginServer, createPluginRequestHandler, buildRoutes } from './plugin-server.js';
export type { PluginServerOptions, RunningPluginServer } from './plugin-server.js';
export type { PluginHandlers, PluginMessages, PluginMethodName, RequestOf, ResponseOf, VolumeInfo, IpamData, EndpointInterface } from './messages.js';
export { PluginRequestError, requireString, optionalString, optionalMap } from './request-fields.js';
export { pluginCall } from './plugin-client.js';
