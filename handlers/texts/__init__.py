"""All user-facing texts, in plain polite Russian: one module per area, one place for all.

Flows import ``from handlers import texts`` and use ``texts.NAME``; content about topics,
departments and contacts lives in directory.yaml, questionnaires in survey.yaml.
"""

from handlers.texts.consent import *  # noqa: F403
from handlers.texts.core import *  # noqa: F403
from handlers.texts.max import *  # noqa: F403
from handlers.texts.personal import *  # noqa: F403
from handlers.texts.requests import *  # noqa: F403
from handlers.texts.survey import *  # noqa: F403
from handlers.texts.telegram import *  # noqa: F403
from handlers.texts.visits import *  # noqa: F403
from handlers.texts.vk import *  # noqa: F403
from handlers.texts.web import *  # noqa: F403
