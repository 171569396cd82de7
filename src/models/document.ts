import { DataTypes, Model, type Sequelize } from 'sequelize';
import { baseColumns, shopModelOptions, type BaseFields } from './base.js';
import type { CertificateContext, DocumentType } from '../domain/document/certificate.js';

export interface Event extends BaseFields {}
/** What a ticket category admits to; its dates are Seoul calendar days (`YYYY-MM-DD`). */
export class Event extends Model {
  declare nameKo: string;
  declare nameEn: string;
  declare startDate: string;
  declare endDate: string;
}

export interface DocumentTemplate extends BaseFields {}
/** An HTML document template with `{{ var }}` placeholders; at most one active per type. */
export class DocumentTemplate extends Model {
  declare documentType: DocumentType;
  declare name: string;
  declare body: string;
  declare isActive: boolean;
}

export interface IssuedDocument extends BaseFields {}
/** A document issued for one order item, with the context frozen at issue time. */
export class IssuedDocument extends Model {
  declare documentType: DocumentType;
  declare documentNumber: string;
  declare templateId: string;
  declare orderProductRelationId: string;
  declare context: CertificateContext;
  declare revokedAt: Date | null;
  declare revokedById: number | null;
  declare revokeReason: string | null;
}

export function initDocumentModels(sequelize: Sequelize): void {
  Event.init(
    {
      ...baseColumns(),
      nameKo: { type: DataTypes.TEXT, allowNull: false },
      nameEn: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
      startDate: { type: DataTypes.DATEONLY, allowNull: false },
      endDate: { type: DataTypes.DATEONLY, allowNull: false },
    },
    shopModelOptions(sequelize, 'events'),
  );
  DocumentTemplate.init(
    {
      ...baseColumns(),
      documentType: { type: DataTypes.STRING(40), allowNull: false },
      name: { type: DataTypes.TEXT, allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    shopModelOptions(sequelize, 'document_templates'),
  );
  IssuedDocument.init(
    {
      ...baseColumns(),
      documentType: { type: DataTypes.STRING(40), allowNull: false },
      documentNumber: { type: DataTypes.STRING(40), allowNull: false },
      templateId: { type: DataTypes.UUID, allowNull: false },
      orderProductRelationId: { type: DataTypes.UUID, allowNull: false },
      context: { type: DataTypes.JSONB, allowNull: false },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
      revokedById: { type: DataTypes.INTEGER, allowNull: true },
      revokeReason: { type: DataTypes.TEXT, allowNull: true },
    },
    shopModelOptions(sequelize, 'issued_documents'),
  );
}
