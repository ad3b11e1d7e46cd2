// Small progressive enhancements; every page also works without JavaScript.
"use strict";

// Live regions: [data-poll] reloads its HTML from the URL every data-interval ms.
function startPolling(region) {
  const url = region.dataset.poll;
  const interval = Number(region.dataset.interval || 5000);
  const tick = async () => {
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "manual" });
      if (response.ok) {
        const html = await response.text();
        if (html !== region.dataset.last) {
          const atBottom = region.scrollHeight - region.scrollTop - region.clientHeight < 40;
          region.innerHTML = html;
          region.dataset.last = html;
          if (region.dataset.stickBottom !== undefined && atBottom) stickToBottom(region);
        }
      }
    } catch (error) {
      // offline for a moment: try again next tick
    }
    window.setTimeout(tick, interval);
  };
  region.dataset.last = region.innerHTML;
  window.setTimeout(tick, interval);
}

function stickToBottom(element) {
  element.scrollTop = element.scrollHeight;
}

// [data-add-row="#container"] copies the container's last row with empty inputs.
function addRow(button) {
  const container = document.querySelector(button.dataset.addRow);
  const last = container && container.lastElementChild;
  if (!last) return;
  const copy = last.cloneNode(true);
  copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
  container.appendChild(copy);
  const first = copy.querySelector("input");
  if (first) first.focus();
}

// input[type=file][data-previews="#box"] shows the chosen photos before they are uploaded.
function showPreviews(input) {
  const box = document.querySelector(input.dataset.previews);
  if (!box) return;
  box.replaceChildren();
  Array.from(input.files || []).forEach((file) => {
    const image = document.createElement("img");
    image.alt = file.name;
    image.src = URL.createObjectURL(file);
    box.appendChild(image);
  });
}

// textarea[data-saved-replies="#picker"]: typing "/" lists the saved replies, filtered as she
// types; choosing one (tap, Enter or Tab) puts its text in the box to edit before sending.
// Without JavaScript the picker's links reload the chat with the reply already in the box.
function savedReplyPicker(area) {
  const picker = document.querySelector(area.dataset.savedReplies);
  if (!picker) return;
  const items = Array.from(picker.querySelectorAll("[data-shortcut]"));
  const typed = () => {
    const before = area.value.slice(0, area.selectionStart);
    const match = before.match(/(?:^|\s)\/([\w-]*)$/);
    return match ? { word: match[1].toLowerCase(), start: before.length - match[1].length - 1 } : null;
  };
  const shown = () => items.filter((item) => !item.hidden);
  const filter = () => {
    const slash = typed();
    items.forEach((item) => { item.hidden = Boolean(slash) && !item.dataset.shortcut.startsWith(slash.word); });
    picker.open = Boolean(slash) && shown().length > 0;
  };
  const choose = (item) => {
    const slash = typed();
    const start = slash ? slash.start : area.selectionStart;
    area.value = area.value.slice(0, start) + item.dataset.body + area.value.slice(area.selectionStart);
    const caret = start + item.dataset.body.length;
    items.forEach((each) => { each.hidden = false; });
    picker.open = false;
    area.focus();
    area.setSelectionRange(caret, caret);
  };
  area.addEventListener("input", filter);
  area.addEventListener("keydown", (event) => {
    if (!picker.open || !typed()) return;
    if (event.key === "Escape") picker.open = false;
    if ((event.key === "Enter" || event.key === "Tab") && shown().length) {
      event.preventDefault();
      event.stopImmediatePropagation(); // Enter picks the reply here; it does not send
      choose(shown()[0]);
    }
  });
  items.forEach((item) => {
    item.querySelector("a").addEventListener("click", (event) => {
      event.preventDefault();
      choose(item);
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[type=file][data-previews]").forEach((input) => {
    input.addEventListener("change", () => showPreviews(input));
  });
  document.querySelectorAll("[data-poll]").forEach(startPolling);
  document.querySelectorAll("[data-stick-bottom]").forEach(stickToBottom);
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    button.addEventListener("click", () => addRow(button));
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  document.querySelectorAll("textarea[data-saved-replies]").forEach(savedReplyPicker);
  // Enter sends a reply; Shift+Enter starts a new line (as in WhatsApp on the desktop).
  document.querySelectorAll("textarea[data-enter-submits]").forEach((area) => {
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        if (area.value.trim()) area.form.requestSubmit();
      }
    });
  });
});
