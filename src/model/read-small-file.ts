import { constants, open } from 'node:fs/promises';

/**
 * Reads a small regular file whose path another local user may control (a package.json beside a process's script),
 * or undefined. O_NONBLOCK: opening a FIFO planted there returns at once instead of holding a libuv thread forever;
 * O_NOFOLLOW: a last component swapped for a link to a device (/dev/watchdog) is not opened; fstat then refuses
 * anything but a regular file, and at most maxBytes are read.
 */
export async function readSmallFile(path: string, maxBytes = 65_536): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
    const st = await handle.stat();
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(Math.min(maxBytes, Math.max(1, st.size)));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
