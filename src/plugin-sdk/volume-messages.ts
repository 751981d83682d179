/** VolumeDriver wire messages (plugin-protocols.md §3.1). Keys are the canonical PascalCase. */
export interface VolumeInfo {
  Name: string;
  Mountpoint?: string;
  /** RFC 3339; never "" (P8). */
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}

export interface VolumeMessages {
  'VolumeDriver.Create': { req: { Name: string; Opts?: Record<string, string> | null }; res: Record<string, never> };
  'VolumeDriver.Remove': { req: { Name: string }; res: Record<string, never> };
  'VolumeDriver.Mount': { req: { Name: string; ID: string }; res: { Mountpoint: string } };
  'VolumeDriver.Unmount': { req: { Name: string; ID: string }; res: Record<string, never> };
  'VolumeDriver.Path': { req: { Name: string }; res: { Mountpoint: string } };
  'VolumeDriver.Get': { req: { Name: string }; res: { Volume: VolumeInfo } };
  'VolumeDriver.List': { req: Record<string, never>; res: { Volumes: VolumeInfo[] } };
  'VolumeDriver.Capabilities': { req: Record<string, never>; res: { Capabilities: { Scope: 'local' | 'global' } } };
}
