/**
 * Which of a container's volumes belong to a chained volume driver, read from the daemon's own
 * inspect answer (`GET /containers/{id}/json`). Three places name them, and all are read because
 * clients fill different ones:
 * - `Mounts[]` (`Type: volume`, `Name`, `Driver`): what dockerd registered at create;
 * - `HostConfig.Mounts[]` (`Type: volume`, `Source`, `VolumeOptions.DriverConfig.Name`): `--mount`;
 * - `HostConfig.Binds` (`name:/path[:mode]`) with `HostConfig.VolumeDriver`: `-v --volume-driver`.
 */
export interface ChainedVolume {
  readonly name: string;
  readonly driver: string;
}

interface InspectShape {
  Mounts?: Array<{ Type?: string; Name?: string; Driver?: string }> | null;
  HostConfig?: {
    Binds?: string[] | null;
    VolumeDriver?: string;
    Mounts?: Array<{ Type?: string; Source?: string; VolumeOptions?: { DriverConfig?: { Name?: string } | null } | null }> | null;
  } | null;
}

export function chainedVolumesOf(inspect: unknown, chainedDrivers: ReadonlySet<string>): ChainedVolume[] {
  const doc = (inspect ?? {}) as InspectShape;
  const found = new Map<string, ChainedVolume>();
  const add = (name: string | undefined, driver: string | undefined) => {
    if (!name || !driver || !chainedDrivers.has(driver)) return;
    found.set(`${driver}\u0000${name}`, { name, driver });
  };
  for (const m of doc.Mounts ?? []) if (m.Type === 'volume') add(m.Name, m.Driver);
  for (const m of doc.HostConfig?.Mounts ?? []) {
    if (m.Type === 'volume') add(m.Source, m.VolumeOptions?.DriverConfig?.Name);
  }
  const volumeDriver = doc.HostConfig?.VolumeDriver;
  if (volumeDriver) {
    for (const bind of doc.HostConfig?.Binds ?? []) {
      const source = bind.split(':')[0];
      // A source starting with "/" is a host path, not a named volume.
      if (source && !source.startsWith('/')) add(source, volumeDriver);
    }
  }
  return [...found.values()];
}
