"""All models, imported here so Alembic and the app see the whole schema."""
from core.models.admin import (  # noqa: F401
    ROLE_ADMIN,
    ROLE_DOCTOR,
    ROLE_STAFF,
    ROLES,
    County,
    Device,
    LoginFailure,
    Township,
    User,
    UserSession,
    Village,
    VillageClinic,
    VillageGroup,
    doctor_villages,
    liaison_villages,
)
from core.models.base import Base  # noqa: F401
from core.models.cards import CARD_STATUSES, ResidentCard  # noqa: F401
from core.models.metrics import (  # noqa: F401
    AdminChange,
    AssessmentRule,
    MetricPeriod,
    MetricRollup,
    OverduePatient,
    QualityDismissal,
    QualityFlag,
    VerificationCall,
    VerificationSample,
)
from core.models.people import (  # noqa: F401
    CONDITIONS,
    Household,
    ResidenceEvent,
    Resident,
    ResidentCondition,
)
from core.models.records import (  # noqa: F401
    MODES,
    RECORD_CLASSES,
    DiabetesFollowUp,
    EducationActivity,
    ElderlyHealthCheck,
    HouseholdVisit,
    HypertensionFollowUp,
    RecordEntry,
    ServiceRecord,
    VaccinationCheck,
)
from core.models.reference import (  # noqa: F401
    SHIPPED_TABLES,
    Setting,
    Target,
    VaccineScheduleDose,
    VaccineScheduleEdition,
)
from core.models.sync import (  # noqa: F401
    SyncChange,
    SyncConflict,
    SyncCounter,
    SyncReceipt,
)
