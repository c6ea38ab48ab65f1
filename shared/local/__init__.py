"""The local stage: a stage's synthesized templates deployed into moto on 127.0.0.1, and the
local runtime that does what AWS does around them (``shared.local.stage``)."""
