#pragma once
// Pillow-compatible resampling of 8-bit RGB images. resize_lanczos() reproduces Pillow's
// Image.resize(size, Image.LANCZOS) (Pillow's libImaging/Resample.c): a separable filter, horizontal pass
// then vertical, support 3 * scale when downscaling, kernel sinc(x) * sinc(x / 3), coefficients normalised
// per output pixel and quantised to 22-bit fixed point with rounding. For the same input pixels the
// output is byte-identical to Pillow's. Pure functions; thread-safe.

#include <cstdint>

#include "tagmetry/image.h"

namespace tagmetry {

// A source rectangle in pixel coordinates (Pillow's `box` argument): x0, y0 inclusive, x1, y1 exclusive;
// fractional values are allowed.
struct ResampleBox {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// Borrowed 8-bit RGB pixels (rows packed, width * height * 3 bytes) that the caller keeps alive: lets a
// decode buffer reused across images be resized without first becoming an RgbImage.
struct RgbView {
  const uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
};

inline RgbView view_of(const RgbImage& image) { return {image.pixels.data(), image.width, image.height}; }

// Resizes `image` (RGB, width * height * 3 bytes) to width x height with Pillow's LANCZOS filter.
// Returns a copy when the size is unchanged. Precondition: width, height > 0 and a non-empty image.
RgbImage resize_lanczos(const RgbImage& image, int width, int height);

// Resizes the `box` region of `image` to width x height (Pillow's resize(size, LANCZOS, box=box)): the
// filter may read pixels outside the box, as Pillow's does, so a crop followed by a resize equals a
// resize with a box only when the box touches the image edges.
RgbImage resize_lanczos(const RgbImage& image, int width, int height, const ResampleBox& box);

// The same for borrowed pixels.
RgbImage resize_lanczos(RgbView image, int width, int height);
RgbImage resize_lanczos(RgbView image, int width, int height, const ResampleBox& box);

// Returns the rectangle [x, x + width) x [y, y + height) of `image` as a new image (Pillow's crop with
// integer coordinates). Precondition: the rectangle lies inside the image.
RgbImage crop_image(const RgbImage& image, int x, int y, int width, int height);
RgbImage crop_image(RgbView image, int x, int y, int width, int height);

// Places `image` centred on a width x height canvas filled with (fill, fill, fill); when the margin is
// odd the extra pixel goes right/bottom. Precondition: the canvas is at least as large as the image.
RgbImage pad_image(const RgbImage& image, int width, int height, uint8_t fill = 255);

}  // namespace tagmetry
