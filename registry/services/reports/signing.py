"""Digital signatures: the commune's PKCS#12 kept encrypted, PAdES signing with pyHanko, and
reading back the signatures of any PDF (ours or signed elsewhere with a USB token).

pyHanko is imported inside the functions that sign or verify: it takes about a second to load,
which every other page, command and job process would pay for nothing."""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import io
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from PIL import Image
from sqlalchemy import select

from registry.extensions import db
from registry.models import SigningMaterial
from registry.services.audit import record_event
from registry.timeutil import utcnow

MAX_IMAGE_PIXELS = 4000 * 4000


class SigningError(ValueError):
    """The certificate, passphrase or image cannot be used; `code` says which."""

    def __init__(self, code: str):
        """Remember which input failed."""
        super().__init__(code)
        self.code = code


def _fernet() -> Fernet:
    """A key derived from the app's secret: the stored certificate is useless without it."""
    digest = hashlib.sha256(b"registry-signing:" + current_app.config["SECRET_KEY"].encode())
    return Fernet(base64.urlsafe_b64encode(digest.digest()))


def _check_png(data: bytes) -> bytes:
    """The bytes if they are a PNG of sensible size, else SigningError("image")."""
    try:
        image = Image.open(io.BytesIO(data))
        image.verify()
        image = Image.open(io.BytesIO(data))
    except Exception as exc:  # Pillow raises many types for a damaged image
        raise SigningError("image") from exc
    if image.format != "PNG" or image.width * image.height > MAX_IMAGE_PIXELS:
        raise SigningError("image")
    return data


def material_for(commune_id: int) -> SigningMaterial | None:
    """The commune's signing material, if any was uploaded."""
    return db.session.scalar(select(SigningMaterial)
                             .where(SigningMaterial.commune_id == commune_id))


def store_material(commune_id: int, user, *, pkcs12_data: bytes | None = None,
                   passphrase: str | None = None, signature_png: bytes | None = None,
                   seal_png: bytes | None = None) -> SigningMaterial:
    """Check and store what was uploaded; what was not uploaded stays as it was."""
    material = material_for(commune_id)
    if material is None:
        material = SigningMaterial(commune_id=commune_id)
        db.session.add(material)
    changed = []
    if pkcs12_data is not None:
        secret = (passphrase or "").encode() or None
        try:
            key, cert, _extra = pkcs12.load_key_and_certificates(pkcs12_data, secret)
        except Exception as exc:  # wrong passphrase, damaged or unsupported file: all refused
            raise SigningError("pkcs12") from exc
        if key is None or cert is None:
            raise SigningError("pkcs12")
        material.pkcs12_encrypted = _fernet().encrypt(pkcs12_data)
        material.passphrase_encrypted = _fernet().encrypt(secret or b"")
        material.certificate_subject = cert.subject.rfc4514_string()[:300]
        material.certificate_not_after = cert.not_valid_after_utc.replace(tzinfo=None)
        changed.append("certificate")
    if signature_png is not None:
        material.signature_png = _check_png(signature_png)
        changed.append("signature_image")
    if seal_png is not None:
        material.seal_png = _check_png(seal_png)
        changed.append("seal_image")
    material.updated_by_id = getattr(user, "id", None)
    material.updated_at = utcnow()
    db.session.flush()
    record_event("update", material, object_type="signing_materials",
                 details={"changed": ", ".join(changed)}, commune_id=commune_id, user=user)
    return material


def _signer(material: SigningMaterial):
    """The pyHanko signer from the decrypted PKCS#12."""
    from pyhanko.sign import signers

    fernet = _fernet()
    try:
        data = fernet.decrypt(material.pkcs12_encrypted)
        secret = fernet.decrypt(material.passphrase_encrypted) or None
    except InvalidToken as exc:  # the secret key changed since the upload
        raise SigningError("secret") from exc
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=[], passphrase=secret)
    if signer is None:
        raise SigningError("pkcs12")
    return signer


def appearance_png(material: SigningMaterial, width_px: int = 600,
                   height_px: int = 300) -> Image.Image | None:
    """The blue signature centred, the red seal overlapping its left third, as
    Decree 30 wants a seal over a signature."""
    if material is None or (material.signature_png is None and material.seal_png is None):
        return None
    canvas = Image.new("RGBA", (width_px, height_px), (255, 255, 255, 0))
    if material.signature_png:
        sig = Image.open(io.BytesIO(material.signature_png)).convert("RGBA")
        sig.thumbnail((int(width_px * 0.6), int(height_px * 0.8)))
        canvas.alpha_composite(sig, ((width_px - sig.width) // 2, (height_px - sig.height) // 2))
    if material.seal_png:
        seal = Image.open(io.BytesIO(material.seal_png)).convert("RGBA")
        seal.thumbnail((height_px, height_px))
        # Over the left third of the signature, as the seal is stamped on paper.
        left = max((width_px - int(width_px * 0.6)) // 2 - seal.width // 3, 0)
        canvas.alpha_composite(seal, (left, (height_px - seal.height) // 2))
    return canvas


def outside_event_loop(func, *args, **kwargs):
    """Call `func` here, or in a helper thread when this thread already runs an asyncio loop.

    pyHanko's synchronous API calls asyncio.run(), which refuses to start inside a running loop
    (an async server, or a test process driving a browser); a fresh thread has no loop. Only
    pure pyHanko work goes through here: nothing that needs the Flask app context.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


def sign_pdf(pdf: bytes, material: SigningMaterial, *, page: int, box: tuple,
             reason: str, location: str, name: str) -> bytes:
    """PAdES-sign `pdf` with the commune's certificate; the visible signature sits in `box`
    (PDF points, bottom-left origin) on `page` with the signature and seal images."""
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import StaticStampStyle

    signer = _signer(material)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    image = appearance_png(material)
    style = (StaticStampStyle(border_width=0, background=PdfImage(image),
                              background_opacity=1.0) if image is not None else None)
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKy", reason=reason, location=location, name=name,
        subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256")
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, stamp_style=style,
        new_field_spec=fields.SigFieldSpec("ChuKy", on_page=page,
                                           box=tuple(int(v) for v in box)))
    out = io.BytesIO()
    outside_event_loop(pdf_signer.sign_pdf, writer, output=out)
    return out.getvalue()


@dataclass
class SignatureCheck:
    """One signature of a PDF, as the verification page reports it."""

    signer: str
    intact: bool
    valid: bool
    signed_at: str | None
    covered_length: int  # bytes of the file the signature covers (its revision)
    modification_ok: bool

    def as_dict(self) -> dict:
        """The check as JSON for storage and templates."""
        return dict(self.__dict__)


def inspect_signatures(data: bytes) -> list[SignatureCheck]:
    """Every embedded signature with who signed, whether the hash still matches (intact), the
    cryptographic validity, and whether later revisions changed more than signatures allow.
    An unreadable file has no signature."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:  # pyHanko raises many types for a damaged PDF
        return []
    checks = []
    for sig in embedded:
        try:
            status = outside_event_loop(validate_pdf_signature, sig)
        except Exception:  # a damaged signature is reported as not intact
            checks.append(SignatureCheck("?", False, False, None, 0, False))
            continue
        subject = status.signing_cert.subject
        try:
            signer = subject.native.get("common_name") or subject.human_friendly
        except Exception:  # odd subjects: fall back to the readable form
            signer = subject.human_friendly
        byte_range = list(sig.byte_range)
        level = status.modification_level
        checks.append(SignatureCheck(
            signer=str(signer), intact=bool(status.intact), valid=bool(status.valid),
            signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt
            else None,
            covered_length=byte_range[2] + byte_range[3],
            modification_ok=level is None or level != ModificationLevel.OTHER))
    return checks
