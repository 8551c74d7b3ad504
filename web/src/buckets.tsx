// Buckets page: `tagmetry buckets` for the served dataset: the bucket histogram, and every image with
// the part kohya's centred crop cuts away shaded, sortable by the fraction cut (docs/buckets.md).
import { useEffect, useState } from 'preact/hooks';
import { get, thumbUrl } from './api';
import { Histogram } from './charts';
import { errorText } from './store';

interface BucketImage {
  file: string;
  id: number | null;
  width: number;
  height: number;
  bucket: [number, number];
  resized: [number, number];
  crop_ltrb: [number, number, number, number];
  cropped: number;
  scale: number;
}
interface Report {
  images: BucketImage[];
  buckets: { resolution: [number, number]; images: number; count: number; batches: number }[];
  batches_per_epoch: number;
  steps_per_epoch: number;
  max_train_steps: number;
  epochs: number;
  mean_ar_error: number;
  skipped: string[];
}
type SortKey = 'cut' | 'scale' | 'name';

const pct = (v: number) => (100 * v).toFixed(1) + '%';

function Crop({ im }: { im: BucketImage }) {
  const [rw, rh] = im.resized;
  const [l, t, r, b] = im.crop_ltrb;
  return (
    <div style={{ position: 'relative', width: '160px', aspectRatio: `${rw}/${rh}`, overflow: 'hidden', background: '#8884' }}>
      {/* 128 px thumbnails: the gallery's 256 px ones stay fetched once each */}
      {im.id !== null && (
        <img src={thumbUrl(im.id, 128)} alt="" loading="lazy"
          style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', imageOrientation: 'none' }} />
      )}
      <div data-testid="crop-box" style={{
        position: 'absolute', left: pct(l / rw), top: pct(t / rh), width: pct((r - l) / rw), height: pct((b - t) / rh),
        outline: '2px solid #fc0', boxShadow: '0 0 0 2000px rgba(0,0,0,.6)',
      }} />
    </div>
  );
}

export function BucketsPage() {
  const [resolution, setResolution] = useState('');
  const [noUpscale, setNoUpscale] = useState(false);
  const [report, setReport] = useState<Report | null>(null);
  const [err, setErr] = useState('');
  const [sort, setSort] = useState<SortKey>('cut');

  useEffect(() => {
    const q = new URLSearchParams();
    if (resolution.trim()) q.set('resolution', resolution.trim());
    if (noUpscale) q.set('bucket_no_upscale', 'true');
    setErr('');
    get<Report>('/api/buckets' + (q.toString() ? '?' + q.toString() : '')).then(setReport).catch((e) => setErr(errorText(e)));
  }, [resolution, noUpscale]);

  const images = [...(report?.images ?? [])].sort((a, b) =>
    sort === 'name' ? a.file.localeCompare(b.file) : sort === 'cut' ? b.cropped - a.cropped : b.scale - a.scale);
  return (
    <main class="page">
      <h2>kohya buckets</h2>
      <p>
        <label>Resolution <input size={9} placeholder="config / 512" value={resolution}
          onChange={(e) => setResolution((e.target as HTMLInputElement).value)} /></label>{' '}
        <label><input type="checkbox" checked={noUpscale}
          onChange={(e) => setNoUpscale((e.target as HTMLInputElement).checked)} /> bucket_no_upscale</label>
      </p>
      {err && <p class="error">{err}</p>}
      {!report && !err && <p class="muted">Computing buckets…</p>}
      {report && (
        <>
          <p>
            {report.images.length} images; {report.batches_per_epoch} batches an epoch, {report.steps_per_epoch} steps an
            epoch, {report.max_train_steps} steps, {report.epochs} epochs; mean aspect-ratio error{' '}
            {report.mean_ar_error.toFixed(4)}.
          </p>
          {report.skipped.length > 0 && <p class="error">kohya would stop on: {report.skipped.join('; ')}</p>}
          <Histogram label="Images per bucket (with repeats)"
            bins={report.buckets.map((b) => ({ label: `${b.resolution[0]}x${b.resolution[1]}`, count: b.count }))} />
          <p>
            The shaded part is what kohya cuts away (thumbnails show EXIF-rotated photos upright; kohya trains
            them as stored: see <code>tagmetry preflight</code>). Sort:{' '}
            <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
              <option value="cut">most cut</option>
              <option value="scale">most upscaled</option>
              <option value="name">name</option>
            </select>
          </p>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: '12px' }}>
            {images.map((im) => (
              <figure key={im.file} style={{ width: '160px', margin: 0, fontSize: '12px' }}>
                <a href={im.id !== null ? `#/image/${im.id}` : undefined}><Crop im={im} /></a>
                <figcaption>
                  {im.file}<br />
                  {im.width}x{im.height} → {im.bucket[0]}x{im.bucket[1]}, cut {pct(im.cropped)}, scale {im.scale.toFixed(3)}
                </figcaption>
              </figure>
            ))}
          </div>
        </>
      )}
    </main>
  );
}
