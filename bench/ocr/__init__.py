"""OCR benchmark: generated Vietnamese administrative pages under scanning conditions.

``python -m bench.ocr.generate OUT`` writes pages + ``truth.json``;
``python -m bench.ocr.run OUT`` measures error rates and throughput.
"""
