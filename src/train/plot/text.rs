//! Text for plotters without system fonts: [`TextBackend`] wraps any plotters backend and
//! draws text with embedded-graphics' built-in ASCII bitmap fonts (6x10 below 16 px, 10x20
//! from 16 px), honouring anchors and 90-degree rotations. Everything else is delegated.

use embedded_graphics::mono_font::ascii::{FONT_10X20, FONT_6X10};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{DrawTarget, Drawable, OriginDimensions, Pixel, Point, Size};
use embedded_graphics::text::{Baseline, Text};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// A plotters backend whose text comes from a built-in bitmap font.
pub struct TextBackend<DB> {
    /// The backend that receives the pixels.
    pub inner: DB,
}

/// The bitmap font used for text of `size` pixels.
fn font_for(size: f64) -> &'static MonoFont<'static> {
    if size < 16.0 {
        &FONT_6X10
    } else {
        &FONT_10X20
    }
}

/// Width and height of `text` in `font`.
fn text_size(text: &str, font: &MonoFont<'_>) -> (i32, i32) {
    let advance = (font.character_size.width + font.character_spacing) as i32;
    (
        advance * text.chars().count() as i32,
        font.character_size.height as i32,
    )
}

/// Collects the lit pixels of rendered text.
struct Collect(Vec<(i32, i32)>);

impl OriginDimensions for Collect {
    fn size(&self) -> Size {
        Size::new(1 << 14, 1 << 14)
    }
}

impl DrawTarget for Collect {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        self.0.extend(
            pixels
                .into_iter()
                .filter(|Pixel(_, c)| *c == BinaryColor::On)
                .map(|Pixel(p, _)| (p.x, p.y)),
        );
        Ok(())
    }
}

/// The lit pixels of `text` with its top-left corner at the origin.
fn glyph_pixels(text: &str, font: &MonoFont<'_>) -> Vec<(i32, i32)> {
    let mut target = Collect(Vec::new());
    let style = MonoTextStyle::new(font, BinaryColor::On);
    let Ok(_) = Text::with_baseline(text, Point::zero(), style, Baseline::Top).draw(&mut target);
    target.0
}

impl<DB: DrawingBackend> DrawingBackend for TextBackend<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        self.inner.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let color = style.color();
        let font = font_for(style.size());
        let (w, h) = text_size(text, font);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let (width, height) = self.get_size();
        let transform = style.transform();
        for (x, y) in glyph_pixels(text, font) {
            let (x, y) = transform.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && x < width as i32 && y < height as i32 {
                self.inner.draw_pixel((x, y), color)?;
            }
        }
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<DB::ErrorType>> {
        let (w, h) = text_size(text, font_for(style.size()));
        Ok((w as u32, h as u32))
    }
}
