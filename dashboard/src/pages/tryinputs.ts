// Try it's inputs, one per domain: each renders its fields and builds the API's Input message
// (proto3 JSON: {text}, {image: {encoded: base64}}, {series: {values, channels}}).
import { h } from "../ui";

export interface TryInput {
  readonly el: HTMLElement;
  /** The Input message; throws an Error that says what is missing or wrong. */
  value(): Promise<object>;
}

export class TextInput implements TryInput {
  private readonly text = h("textarea", { id: "try-text", rows: 3, placeholder: "I loved every minute" });
  readonly el = h("div", { class: "field" }, h("label", { for: "try-text" }, "Text"), this.text);

  async value(): Promise<object> {
    if (!this.text.value.trim()) throw new Error("type some text first");
    return { text: { text: this.text.value } };
  }
}

/** An image file, picked or dropped on the zone; sent as its bytes (PNG, JPEG, BMP, GIF). */
export class ImageInput implements TryInput {
  private readonly file = h("input", { id: "try-image", type: "file", accept: "image/png,image/jpeg,image/bmp,image/gif" });
  private readonly preview = h("div", { id: "try-image-name", "aria-live": "polite" }, "No image yet.");
  private picked: File | null = null;
  readonly el = h("div", { class: "drop", id: "try-drop" },
    h("label", { for: "try-image" }, "Image (drop a file here, or pick one)"), " ", this.file, this.preview);

  constructor() {
    this.file.addEventListener("change", () => this.pick(this.file.files?.[0] ?? null));
    this.el.addEventListener("dragover", (e) => {
      e.preventDefault();
      this.el.classList.add("over");
    });
    this.el.addEventListener("dragleave", () => this.el.classList.remove("over"));
    this.el.addEventListener("drop", (e) => {
      e.preventDefault();
      this.el.classList.remove("over");
      this.pick(e.dataTransfer?.files?.[0] ?? null);
    });
  }

  private pick(f: File | null): void {
    this.picked = f;
    if (!f) {
      this.preview.replaceChildren("No image yet.");
      return;
    }
    const img = h("img", { alt: `the image to send: ${f.name}` });
    img.src = URL.createObjectURL(f);
    this.preview.replaceChildren(`${f.name} (${f.size} bytes)`, img);
  }

  async value(): Promise<object> {
    if (!this.picked) throw new Error("drop or pick an image first");
    const bytes = new Uint8Array(await this.picked.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { image: { encoded: btoa(binary) } };
  }
}

/** Numbers pasted as text: separated by commas, spaces, tabs or new lines (a CSV column works). */
export function parseSeries(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const values = parts.map(Number);
  const bad = parts.findIndex((_, i) => !Number.isFinite(values[i]));
  if (bad >= 0) throw new Error(`value ${bad + 1} ('${parts[bad]}') is not a finite number`);
  if (!values.length) throw new Error("paste some numbers first");
  return values;
}

export class SeriesInput implements TryInput {
  private readonly text = h("textarea", { id: "try-series", rows: 4, placeholder: "315.7, 317.5, 317.5, 317.1, …" });
  private readonly channels = h("input", { id: "try-channels", type: "number", min: 1, max: 64, value: 1 });
  readonly el = h("div", {},
    h("div", { class: "field" }, h("label", { for: "try-series" }, "Series values (comma, space or line separated; channels interleaved by time step)"), this.text),
    h("div", { class: "field" }, h("label", { for: "try-channels" }, "Channels"), this.channels));

  async value(): Promise<object> {
    const values = parseSeries(this.text.value);
    const channels = Number(this.channels.value) || 1;
    if (values.length % channels) throw new Error(`${values.length} values do not divide into ${channels} channels`);
    return { series: { values, channels } };
  }
}
