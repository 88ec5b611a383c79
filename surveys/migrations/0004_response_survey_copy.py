"""The invitation's survey copied onto its answer (``Response.survey``, written by
``Response.save``), with a partial index of the answers with a comment by survey and last
change, so that a survey's comments page by keyset along one range of it instead of
walking every survey's answers by date (or sorting a whole survey's) for each page.

Built in one transaction: the backfill writes each row anyway."""

import django.db.models.deletion
from django.db import migrations, models

# Set-based, once over the table: UPDATE ... FROM joins the invitations once.
BACKFILL = """
    UPDATE surveys_response SET survey_id = surveys_invitation.survey_id
    FROM surveys_invitation
    WHERE surveys_invitation.id = surveys_response.invitation_id
"""


def _survey_field(*, null):
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        editable=False,
        null=null,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to="surveys.survey",
        verbose_name="survey",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_list_order_indexes"),
    ]

    operations = [
        migrations.AddField(model_name="response", name="survey", field=_survey_field(null=True)),
        # Before the index and the NOT NULL: one pass over the rows, then the index built once.
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="response", name="survey", field=_survey_field(null=False)
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(
                condition=models.Q(("comment", ""), _negated=True),
                fields=["survey", "updated_at", "id"],
                name="response_survey_comments",
            ),
        ),
    ]
