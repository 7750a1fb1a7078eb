package org.xlbridge.libxl.ao;

/**
 * A virtual block device (libxl's {@code libxl_device_disk}, reduced).
 *
 * @param devid  the device number in xenstore (e.g. 51712 for xvda), positive
 * @param vdev   the guest's name for it ("xvda")
 * @param target what backs it (a path)
 */
public record DiskConfig(int devid, String vdev, String target) {
    public DiskConfig {
        if (devid <= 0) {
            throw new IllegalArgumentException("disk devid must be positive: " + devid);
        }
        if (vdev == null || vdev.isEmpty() || !vdev.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("disk vdev must be lower-case letters and digits: " + vdev);
        }
        if (target == null || target.isEmpty() || target.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IllegalArgumentException("disk target must be printable ASCII without spaces: " + target);
        }
    }
}
