/**
 * The Engine API operations plugchain knows by name. Data, not code: the router compiles it once.
 *
 * body: what the request carries. `json` bodies may be buffered for hooks that ask for them;
 * `tar` and `stream` bodies always stream; `hijack` operations switch the connection to a raw
 * byte pipe (attach, exec start, BuildKit session/grpc).
 * Templates: `{x}` is one path segment, `{x*}` is the rest of the path (image and plugin names
 * carry slashes, as in dockerd's own router).
 */
export type BodyKind = 'none' | 'json' | 'tar' | 'stream' | 'hijack';

export interface OperationSpec {
  readonly method: string;
  readonly template: string;
  readonly id: string;
  readonly body: BodyKind;
}

const table: ReadonlyArray<readonly [string, string, string, BodyKind]> = [
  // system
  ['GET', '/_ping', 'SystemPing', 'none'],
  ['HEAD', '/_ping', 'SystemPingHead', 'none'],
  ['GET', '/version', 'SystemVersion', 'none'],
  ['GET', '/info', 'SystemInfo', 'none'],
  ['GET', '/events', 'SystemEvents', 'none'],
  ['GET', '/system/df', 'SystemDataUsage', 'none'],
  ['POST', '/auth', 'SystemAuth', 'json'],
  ['POST', '/session', 'Session', 'hijack'],
  ['POST', '/grpc', 'Grpc', 'hijack'],
  // containers
  ['GET', '/containers/json', 'ContainerList', 'none'],
  ['POST', '/containers/create', 'ContainerCreate', 'json'],
  ['POST', '/containers/prune', 'ContainerPrune', 'none'],
  ['GET', '/containers/{id}/json', 'ContainerInspect', 'none'],
  ['GET', '/containers/{id}/top', 'ContainerTop', 'none'],
  ['GET', '/containers/{id}/logs', 'ContainerLogs', 'none'],
  ['GET', '/containers/{id}/changes', 'ContainerChanges', 'none'],
  ['GET', '/containers/{id}/export', 'ContainerExport', 'none'],
  ['GET', '/containers/{id}/stats', 'ContainerStats', 'none'],
  ['POST', '/containers/{id}/resize', 'ContainerResize', 'none'],
  ['POST', '/containers/{id}/start', 'ContainerStart', 'none'],
  ['POST', '/containers/{id}/stop', 'ContainerStop', 'none'],
  ['POST', '/containers/{id}/restart', 'ContainerRestart', 'none'],
  ['POST', '/containers/{id}/kill', 'ContainerKill', 'none'],
  ['POST', '/containers/{id}/update', 'ContainerUpdate', 'json'],
  ['POST', '/containers/{id}/rename', 'ContainerRename', 'none'],
  ['POST', '/containers/{id}/pause', 'ContainerPause', 'none'],
  ['POST', '/containers/{id}/unpause', 'ContainerUnpause', 'none'],
  ['POST', '/containers/{id}/attach', 'ContainerAttach', 'hijack'],
  ['GET', '/containers/{id}/attach/ws', 'ContainerAttachWebsocket', 'hijack'],
  ['POST', '/containers/{id}/wait', 'ContainerWait', 'none'],
  ['DELETE', '/containers/{id}', 'ContainerDelete', 'none'],
  ['HEAD', '/containers/{id}/archive', 'ContainerArchiveInfo', 'none'],
  ['GET', '/containers/{id}/archive', 'ContainerArchive', 'none'],
  ['PUT', '/containers/{id}/archive', 'PutContainerArchive', 'tar'],
  ['POST', '/containers/{id}/exec', 'ContainerExec', 'json'],
  ['POST', '/exec/{id}/start', 'ExecStart', 'hijack'],
  ['POST', '/exec/{id}/resize', 'ExecResize', 'none'],
  ['GET', '/exec/{id}/json', 'ExecInspect', 'none'],
  ['POST', '/commit', 'ImageCommit', 'json'],
  // images
  ['GET', '/images/json', 'ImageList', 'none'],
  ['POST', '/build', 'ImageBuild', 'tar'],
  ['POST', '/build/prune', 'BuildPrune', 'none'],
  ['POST', '/build/cancel', 'BuildCancel', 'none'],
  ['POST', '/images/create', 'ImageCreate', 'stream'],
  ['POST', '/images/load', 'ImageLoad', 'tar'],
  ['GET', '/images/get', 'ImageGetAll', 'none'],
  ['GET', '/images/search', 'ImageSearch', 'none'],
  ['POST', '/images/prune', 'ImagePrune', 'none'],
  ['GET', '/images/{name*}/json', 'ImageInspect', 'none'],
  ['GET', '/images/{name*}/history', 'ImageHistory', 'none'],
  ['POST', '/images/{name*}/push', 'ImagePush', 'none'],
  ['POST', '/images/{name*}/tag', 'ImageTag', 'none'],
  ['GET', '/images/{name*}/get', 'ImageGet', 'none'],
  ['DELETE', '/images/{name*}', 'ImageDelete', 'none'],
  ['GET', '/distribution/{name*}/json', 'DistributionInspect', 'none'],
  // volumes
  ['GET', '/volumes', 'VolumeList', 'none'],
  ['POST', '/volumes/create', 'VolumeCreate', 'json'],
  ['POST', '/volumes/prune', 'VolumePrune', 'none'],
  ['GET', '/volumes/{name}', 'VolumeInspect', 'none'],
  ['PUT', '/volumes/{name}', 'VolumeUpdate', 'json'],
  ['DELETE', '/volumes/{name}', 'VolumeDelete', 'none'],
  // networks
  ['GET', '/networks', 'NetworkList', 'none'],
  ['POST', '/networks/create', 'NetworkCreate', 'json'],
  ['POST', '/networks/prune', 'NetworkPrune', 'none'],
  ['GET', '/networks/{id}', 'NetworkInspect', 'none'],
  ['DELETE', '/networks/{id}', 'NetworkDelete', 'none'],
  ['POST', '/networks/{id}/connect', 'NetworkConnect', 'json'],
  ['POST', '/networks/{id}/disconnect', 'NetworkDisconnect', 'json'],
  // plugins
  ['GET', '/plugins', 'PluginList', 'none'],
  ['GET', '/plugins/privileges', 'GetPluginPrivileges', 'none'],
  ['POST', '/plugins/pull', 'PluginPull', 'json'],
  ['POST', '/plugins/create', 'PluginCreate', 'tar'],
  ['GET', '/plugins/{name*}/json', 'PluginInspect', 'none'],
  ['DELETE', '/plugins/{name*}', 'PluginDelete', 'none'],
  ['POST', '/plugins/{name*}/enable', 'PluginEnable', 'none'],
  ['POST', '/plugins/{name*}/disable', 'PluginDisable', 'none'],
  ['POST', '/plugins/{name*}/upgrade', 'PluginUpgrade', 'json'],
  ['POST', '/plugins/{name*}/push', 'PluginPush', 'none'],
  ['POST', '/plugins/{name*}/set', 'PluginSet', 'json'],
  // swarm-era objects pass through by name, for logs and metrics
  ['GET', '/swarm', 'SwarmInspect', 'none'],
  ['GET', '/nodes', 'NodeList', 'none'],
  ['GET', '/services', 'ServiceList', 'none'],
  ['GET', '/tasks', 'TaskList', 'none'],
  ['GET', '/secrets', 'SecretList', 'none'],
  ['GET', '/configs', 'ConfigList', 'none'],
];

export const OPERATIONS: ReadonlyArray<OperationSpec> = Object.freeze(
  table.map(([method, template, id, body]) => Object.freeze({ method, template, id, body })),
);

export const OPERATION_IDS: ReadonlySet<string> = new Set(OPERATIONS.map((op) => op.id));
