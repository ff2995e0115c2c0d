// Where the Explorer's panel lies: over the server's "Selected point" block beside the map
// (``.st-key-decoded`` in the side column). The block keeps its place, hidden while the panel
// covers it, and keeps room for the panel's tallest state, so that switching states moves
// nothing on the page.

class Overlay {
  root; title; zText; original;  // the panel and the elements that set its height
  covering = null;  // whether the panel lies over the server's block (null: not placed yet)
  reserved = null;  // the server's block whose height was made room for the panel's

  constructor(root, title, zText, original) {
    [this.root, this.title, this.zText, this.original] = [root, title, zText, original];
  }

  /** The server's block may be new (a rerun): the next ``place`` places the panel again. */
  unplaced() {
    this.covering = null;
  }

  /** The panel over the block (``on``), or the block itself, unless already so. */
  place(on) {
    if (this.covering !== on) this.cover(on);
  }

  /** The block shown again, whatever the panel did: the panel is going away. */
  release() {
    this.cover(false);
  }

  /** The server's block beside the map, if the page has drawn it. */
  block() {
    const host = this.root.getRootNode().host;
    const side = host && host.closest(".st-key-side, .st-key-talkside");
    return side && side.querySelector(".st-key-decoded");
  }

  cover(on) {
    const block = this.block();
    this.covering = on;
    if (!block) { this.root.hidden = !on; return; }
    this.root.hidden = false;
    if (this.reserved !== block) {  // the first time, or the server drew a new block
      this.align(block);
      block.style.minHeight = this.tallest() + "px";
      this.reserved = block;
    }
    this.root.style.visibility = on ? "visible" : "hidden";
    block.style.visibility = on ? "hidden" : "";
    const b = block.getBoundingClientRect(), r = this.root.getBoundingClientRect();
    const top = parseFloat(this.root.style.top || "0"), left = parseFloat(this.root.style.left || "0");
    this.root.style.top = top + b.top - r.top + "px";
    this.root.style.left = left + b.left - r.left + "px";
    this.root.style.width = b.width + "px";
    this.root.style.height = b.height + "px";
  }

  /** The heading as the server's: its size, and the images starting at the same height. */
  align(block) {
    const h3 = block.querySelector("h3"), next = block.children[1];
    if (h3) this.title.style.fontSize = getComputedStyle(h3).fontSize;
    if (next) this.title.style.height = next.getBoundingClientRect().top - block.getBoundingClientRect().top + "px";
  }

  /** The panel's height in its tallest state: a heading, the images and a line of text. */
  tallest() {
    const texts = [this.title, this.zText], kept = texts.map((t) => t.textContent);
    texts.forEach((t, i) => { t.textContent = ["Selected point", "Test image #0 · z = (0, 0)"][i]; });
    const hidden = this.original.hidden;
    this.original.hidden = false;
    this.root.style.height = "auto";
    const need = this.root.scrollHeight;
    texts.forEach((t, i) => { t.textContent = kept[i]; });
    this.original.hidden = hidden;
    return need;
  }

  /** The visible heading of the server's block (what the page shows in state "none"). */
  heading() {
    const h = this.block()?.querySelector("h3");
    return h ? h.textContent.trim() : "";
  }
}
