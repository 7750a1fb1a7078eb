package org.xlbridge.driver.api;

/**
 * One {@code <disk>} of domain XML, the subset that matters here.
 *
 * @param type      {@code file} or {@code block}
 * @param device    {@code disk} or {@code cdrom}
 * @param source    the file or device path ({@code <source file=...>} / {@code <source dev=...>}); may be null
 *                  for an empty cdrom
 * @param targetDev the guest's device name, e.g. {@code xvdb} ({@code <target dev=...>}); identifies the disk
 * @param targetBus the bus ({@code <target bus=...>}), or null
 * @param readOnly  {@code <readonly/>} present
 */
public record DiskDefinition(String type, String device, String source, String targetDev, String targetBus,
        boolean readOnly) {
    public DiskDefinition {
        if (type == null || device == null || targetDev == null || targetDev.isBlank()) {
            throw new IllegalArgumentException("disk type, device and target dev are required");
        }
    }

    /** A file-backed disk. */
    public static DiskDefinition file(String path, String targetDev) {
        return new DiskDefinition("file", "disk", path, targetDev, null, false);
    }

    /** The disk as device XML, as {@code attachDevice} takes it. */
    public String toXml() {
        StringBuilder sb = new StringBuilder();
        sb.append("<disk type='").append(DomainXml.escape(type)).append("' device='")
                .append(DomainXml.escape(device)).append("'>");
        if (source != null) {
            sb.append("<source ").append("block".equals(type) ? "dev" : "file").append("='")
                    .append(DomainXml.escape(source)).append("'/>");
        }
        sb.append("<target dev='").append(DomainXml.escape(targetDev)).append('\'');
        if (targetBus != null) {
            sb.append(" bus='").append(DomainXml.escape(targetBus)).append('\'');
        }
        sb.append("/>");
        if (readOnly) {
            sb.append("<readonly/>");
        }
        sb.append("</disk>");
        return sb.toString();
    }
}
