package dev.graft.server.core.store;

/**
 * Recognises the encoded image formats Graft decodes (PNG, JPEG, BMP, GIF) by their first bytes,
 * so that bytes that are not an image are refused where they arrive (whether an image is whole is
 * for the decoder to say). Stateless.
 */
public final class ImageSignatures {
  private ImageSignatures() {}

  /** "png", "jpeg", "bmp" or "gif" when the bytes start as such a file does, else null. */
  public static String format(byte[] b) {
    if (b == null) {
      return null;
    }
    if (b.length >= 4 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "png";
    }
    if (b.length >= 2 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
      return "jpeg";
    }
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
      return "bmp";
    }
    if (b.length >= 3 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
      return "gif";
    }
    return null;
  }

  /** Whether the bytes are of the format a file extension names ("jpg" and "jpeg" alike). */
  public static boolean matches(String extension, byte[] b) {
    String f = format(b);
    return f != null && (f.equals(extension) || (f.equals("jpeg") && extension.equals("jpg")));
  }
}
