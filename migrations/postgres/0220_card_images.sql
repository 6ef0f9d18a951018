-- Link-preview images: the page's image, fetched once with the card, resized to fit
-- 640×640 and stored in the media store (`image_key`, in the `cache` area), with its
-- blurhash and size (a link card's `width`/`height`).
ALTER TABLE preview_cards ADD COLUMN image_key TEXT;
ALTER TABLE preview_cards ADD COLUMN blurhash TEXT;
