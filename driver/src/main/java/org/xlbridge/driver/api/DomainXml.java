package org.xlbridge.driver.api;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.libvirt.Error.ErrorNumber;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Parses the subset of libvirt's domain XML the drivers use (see {@link DomainDefinition}) with the
 * JDK's DOM parser, configured so that XML cannot reach outside the string: DOCTYPE declarations are
 * refused outright (no external entities, no entity expansion), XInclude is off, secure processing on.
 * Every bad input is a {@link DriverException} with a message naming what is wrong and the number
 * libvirt 9 answers for the same input (measured against {@code test:///default}; the
 * {@code DomainXmlAgreementLibvirtTest} keeps them in step): {@link ErrorNumber#VIR_ERR_XML_DETAIL} for a
 * document the XML parser rejects (not well-formed, a DOCTYPE), {@link ErrorNumber#VIR_ERR_XML_ERROR} for
 * most invalid definitions (bad memory or vcpu, '/' in the name, wrong root), and libvirt's specific
 * numbers where it has them: {@code NO_NAME}, {@code NO_TARGET}, {@code NO_SOURCE},
 * {@code CONFIG_UNSUPPORTED} (unknown lifecycle action), {@code OVERFLOW}, {@code INVALID_ARG} (unknown
 * memory unit), {@code INTERNAL_ERROR} (malformed uuid, missing type attribute). Unknown elements are ignored,
 * as libvirt ignores what a driver does not use.
 */
public final class DomainXml {
    private static final long MAX_KIB = Long.MAX_VALUE / 1024;

    private DomainXml() {
    }

    /** Longest piece of a user's string that an error message repeats (see {@link #cut}). */
    public static final int MESSAGE_ECHO_LIMIT = 64;

    /**
     * A domain definition and the attributes of one driver element of its {@code <metadata>}, from one parse.
     *
     * @param definition the definition
     * @param metadata   the attributes of {@code <metadata><element/></metadata>}, empty when there is none
     */
    public record Parsed(DomainDefinition definition, Map<String, String> metadata) {
        public Parsed {
            metadata = Map.copyOf(metadata);
        }
    }

    /** Parses a whole {@code <domain>} document. */
    public static DomainDefinition parse(String xml) {
        return definition(parseRoot(xml, "domain"));
    }

    /**
     * Parses a whole {@code <domain>} document once, for its definition and the attributes of
     * {@code <metadata><element .../></metadata>} (see {@link #metadataAttributes}).
     */
    public static Parsed parse(String xml, String metadataElement) {
        Element root = parseRoot(xml, "domain");
        return new Parsed(definition(root), metadata(root, metadataElement));
    }

    /**
     * A user's string as error messages repeat it: whole up to {@link #MESSAGE_ECHO_LIMIT} characters, else its
     * beginning and its length, so that a refused 10,000-character name does not make a 10 KB message.
     */
    public static String cut(String s) {
        if (s == null || s.length() <= MESSAGE_ECHO_LIMIT) {
            return s;
        }
        return s.substring(0, MESSAGE_ECHO_LIMIT) + "... (" + s.length() + " characters)";
    }

    private static DomainDefinition definition(Element root) {
        String type = root.getAttribute("type");
        if (type.isBlank()) {
            throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR, "missing domain type attribute");
        }
        String name = optionalText(root, "name");
        if (name == null || name.isEmpty()) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_NAME, "missing name information");
        }
        if (name.contains("/")) {
            throw error("name '" + cut(name) + "' cannot contain '/'");
        }
        String uuidText = optionalText(root, "uuid");
        UUID uuid = uuidText == null ? UUID.randomUUID() : parseUuid(uuidText);
        Element memory = child(root, "memory");
        if (memory == null) {
            throw error("missing <memory> element");
        }
        long memoryKiB = parseMemory(memory);
        Element current = child(root, "currentMemory");
        // As libvirt: a current memory above the maximum is clamped to it, not refused.
        long currentKiB = current == null ? memoryKiB : Math.min(parseMemory(current), memoryKiB);
        String vcpuText = optionalText(root, "vcpu");
        int vcpus = vcpuText == null ? 1 : parsePositiveInt(vcpuText, "vcpu");
        LifecycleAction onPoweroff = action(root, "on_poweroff", LifecycleAction.DESTROY);
        LifecycleAction onReboot = action(root, "on_reboot", LifecycleAction.RESTART);
        LifecycleAction onCrash = action(root, "on_crash", LifecycleAction.DESTROY);
        List<DiskDefinition> disks = new ArrayList<>();
        Element devices = child(root, "devices");
        if (devices != null) {
            for (Element disk : children(devices, "disk")) {
                DiskDefinition d = disk(disk);
                for (DiskDefinition other : disks) {
                    if (other.targetDev().equals(d.targetDev())) {
                        throw error("two disks with target dev '" + d.targetDev() + "'");
                    }
                }
                disks.add(d);
            }
        }
        return new DomainDefinition(type, name, uuid, memoryKiB, currentKiB, vcpus, onPoweroff, onReboot,
                onCrash, disks);
    }

    /**
     * The attributes of {@code <metadata><element .../></metadata>} in domain XML, where drivers keep settings
     * of their own (libvirt's {@code <metadata>} is for applications); empty when there is none.
     *
     * @throws DriverException as {@link #parse} for a document that is not domain XML
     */
    public static Map<String, String> metadataAttributes(String xml, String element) {
        return metadata(parseRoot(xml, "domain"), element);
    }

    private static Map<String, String> metadata(Element root, String element) {
        Element metadata = child(root, "metadata");
        if (metadata == null) {
            return Map.of();
        }
        Element e = child(metadata, element);
        if (e == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        NamedNodeMap attrs = e.getAttributes();
        for (int i = 0; i < attrs.getLength(); i++) {
            Node a = attrs.item(i);
            out.put(a.getNodeName(), a.getNodeValue());
        }
        return out;
    }

    /** Parses device XML holding one {@code <disk>}, as {@code attachDevice}/{@code detachDevice} take. */
    public static DiskDefinition parseDisk(String xml) {
        return disk(parseRoot(xml, "disk"));
    }

    private static DiskDefinition disk(Element disk) {
        String type = disk.getAttribute("type");
        if (type.isEmpty()) {
            type = "file";
        }
        if (!type.equals("file") && !type.equals("block")) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED,
                    "unsupported disk type '" + type + "' (file or block)");
        }
        String device = disk.getAttribute("device");
        if (device.isEmpty()) {
            device = "disk";
        }
        if (!device.equals("disk") && !device.equals("cdrom")) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED,
                    "unsupported disk device '" + device + "' (disk or cdrom)");
        }
        Element source = child(disk, "source");
        String path = null;
        if (source != null) {
            path = source.getAttribute(type.equals("block") ? "dev" : "file");
            if (path.isEmpty()) {
                throw error("disk <source> needs a " + (type.equals("block") ? "dev" : "file") + " attribute");
            }
        }
        Element target = child(disk, "target");
        if (target == null || target.getAttribute("dev").isBlank()) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_TARGET,
                    "missing target information for device " + (path == null ? "disk" : path)
                            + " (<target dev='...'>)");
        }
        if (path == null && device.equals("disk")) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_SOURCE,
                    "missing source information for device " + target.getAttribute("dev").trim());
        }
        String bus = target.getAttribute("bus");
        return new DiskDefinition(type, device, path, target.getAttribute("dev").trim(), bus.isEmpty() ? null : bus,
                child(disk, "readonly") != null);
    }

    private static Element parseRoot(String xml, String rootName) {
        if (xml == null || xml.isBlank()) {
            throw new DriverException(ErrorNumber.VIR_ERR_XML_DETAIL,
                    "empty XML document (expected <" + rootName + ">)");
        }
        Document doc;
        try {
            DocumentBuilder builder = secureFactory().newDocumentBuilder();
            builder.setErrorHandler(THROWING);
            builder.setEntityResolver((publicId, systemId) -> {
                throw new SAXException("external entity refused: " + systemId);
            });
            doc = builder.parse(new InputSource(new StringReader(xml)));
        } catch (SAXException e) {
            // libvirt reports what its XML parser rejects as VIR_ERR_XML_DETAIL, invalid definitions as XML_ERROR.
            throw new DriverException(ErrorNumber.VIR_ERR_XML_DETAIL, "malformed XML: " + e.getMessage(), e);
        } catch (IOException | ParserConfigurationException e) {
            throw new DriverException(ErrorNumber.VIR_ERR_XML_DETAIL, "cannot parse XML: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (!rootName.equals(root.getTagName())) {
            throw error("expected root element <" + rootName + ">, found <" + root.getTagName() + ">");
        }
        return root;
    }

    private static DocumentBuilderFactory secureFactory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        // A DOCTYPE is how entities (external or billion-laughs) get in; libvirt's XML never needs one.
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }

    /** The JDK's default handler prints to stderr; make every problem an exception instead. */
    private static final ErrorHandler THROWING = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
            // Warnings do not make the document invalid.
        }

        @Override
        public void error(SAXParseException e) throws SAXException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXException {
            throw e;
        }
    };

    private static long parseMemory(Element e) {
        String text = e.getTextContent().trim();
        String unit = e.getAttribute("unit").trim();
        long multiplierBytes = switch (unit.isEmpty() ? "kib" : unit.toLowerCase(Locale.ROOT)) {
            case "b", "bytes" -> 1L;
            case "kb" -> 1000L;
            case "k", "kib" -> 1024L;
            case "mb" -> 1000L * 1000;
            case "m", "mib" -> 1024L * 1024;
            case "gb" -> 1000L * 1000 * 1000;
            case "g", "gib" -> 1024L * 1024 * 1024;
            case "tb" -> 1000L * 1000 * 1000 * 1000;
            case "t", "tib" -> 1024L * 1024 * 1024 * 1024;
            default -> throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG,
                    "unknown suffix '" + unit + "' in <" + e.getTagName() + ">");
        };
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException ex) {
            throw error("<" + e.getTagName() + "> is not a number: '" + cut(text) + "'");
        }
        if (value <= 0) {
            throw error("<" + e.getTagName() + "> must be positive: " + value);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(value, multiplierBytes);
        } catch (ArithmeticException ex) {
            throw overflow(e, value, unit);
        }
        // libvirt rounds up to whole KiB.
        long kib = bytes / 1024 + (bytes % 1024 == 0 ? 0 : 1);
        if (kib > MAX_KIB) {
            throw overflow(e, value, unit);
        }
        return kib;
    }

    private static DriverException overflow(Element e, long value, String unit) {
        return new DriverException(ErrorNumber.VIR_ERR_OVERFLOW,
                "value too large in <" + e.getTagName() + ">: " + value + unit);
    }

    private static int parsePositiveInt(String text, String what) {
        int v;
        try {
            v = Integer.parseInt(text.trim());
        } catch (NumberFormatException ex) {
            throw error("<" + what + "> is not a number: '" + cut(text.trim()) + "'");
        }
        if (v < 1) {
            throw error("<" + what + "> must be at least 1: " + v);
        }
        return v;
    }

    private static UUID parseUuid(String text) {
        String hex = text.trim().replace("-", "");
        if (hex.length() != 32 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                    "malformed uuid element: '" + cut(text.trim()) + "'");
        }
        return new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16));
    }

    private static LifecycleAction action(Element root, String tag, LifecycleAction dflt) {
        String text = optionalText(root, tag);
        if (text == null) {
            return dflt;
        }
        LifecycleAction a = LifecycleAction.fromXml(text);
        if (a == null || (a.crashOnly() && !tag.equals("on_crash"))) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED,
                    "unknown <" + tag + "> action '" + cut(text.trim()) + "'");
        }
        return a;
    }

    private static String optionalText(Element parent, String tag) {
        Element e = child(parent, tag);
        return e == null ? null : e.getTextContent().trim();
    }

    private static Element child(Element parent, String tag) {
        List<Element> found = children(parent, tag);
        if (found.size() > 1) {
            throw error("more than one <" + tag + "> element in <" + parent.getTagName() + ">");
        }
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    private static DriverException error(String message) {
        return new DriverException(ErrorNumber.VIR_ERR_XML_ERROR, message);
    }

    /** Escapes text for an XML attribute or element. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '\'' -> sb.append("&apos;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
